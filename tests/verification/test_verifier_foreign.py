"""The verifier over other platforms' Open Badges 2.0 badges, served by a local test server.

Loopback is a private address, so these tests turn VERIFY_ALLOW_PRIVATE_ADDRESSES on (as a closed
deployment would); the SSRF tests in test_fetch.py run with it off."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assertions.baking import bake_png, bake_svg
from tests.support import SVG, png_bytes
from tests.support.foreign import ForeignIssuer, Server, b64url, fresh_key, sign
from verification.verifier import verify


@pytest.fixture
def server(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def northgate(server):
    return ForeignIssuer(server)


def failed(result) -> dict[str, str]:
    return {c.name: c.message for c in result.checks if not c.passed}


def test_foreign_hosted_badge_is_valid_and_described(northgate):
    doc = northgate.assertion("1")
    result = verify(url=doc["id"], recipient="Learner@Example.org")
    assert result.verdict == "valid", result.checks
    assert [c.name for c in result.checks] == ["documents", "issuer", "revocation", "expiry", "recipient"]
    assert result.badge["name"] == "Forklift Safety"
    assert result.badge["criteria"]["narrative"] == "Passes the practical test."
    assert result.issuer["name"] == "Northgate Training"
    assert result.issuer["branding"] is None  # only our own tenants have branding


def test_foreign_signed_badge_is_valid_only_with_its_issuers_key(northgate):
    jws = sign(northgate.assertion("2", signed=True), northgate.key)
    result = verify(jws=jws, recipient="learner@example.org")
    assert result.verdict == "valid", result.checks
    assert any(c.name == "signature" and c.passed for c in result.checks)


def test_foreign_baked_png_and_svg_are_valid(northgate):
    hosted = northgate.assertion("3")
    signed_jws = sign(northgate.assertion("4", signed=True), northgate.key)
    assert verify(image=bake_png(png_bytes(), json.dumps(hosted))).verdict == "valid"
    assert verify(image=bake_png(png_bytes(), hosted["id"])).verdict == "valid"
    assert verify(image=bake_svg(SVG, signed_jws, verify_url=None, signed=True)).verdict == "valid"
    assert verify(image=bake_svg(SVG, json.dumps(hosted), verify_url=hosted["id"], signed=False)).verdict == "valid"


def test_foreign_hosted_badge_revoked_by_410_is_revoked(northgate, server):
    doc = northgate.assertion("5")
    server.json("/assertions/5", {"@context": doc["@context"], "type": "Assertion", "id": doc["id"],
                                  "revoked": True, "revocationReason": "Cheated"}, status=410)
    result = verify(url=doc["id"])
    assert result.verdict == "revoked"
    assert "Cheated" in failed(result)["revocation"]


def test_foreign_signed_badge_on_the_revocation_list_is_revoked(northgate):
    doc = northgate.assertion("6", signed=True)
    northgate.revoke(doc, "Issued in error")
    result = verify(jws=sign(doc, northgate.key))
    assert result.verdict == "revoked"
    assert "Issued in error" in failed(result)["revocation"]


def test_expired_foreign_badge_is_expired(northgate):
    doc = northgate.assertion("7", expires=timezone.now() - timedelta(days=1))
    result = verify(url=doc["id"])
    assert result.verdict == "expired"
    assert "expired on" in failed(result)["expiry"]


def test_tampered_signature_is_invalid(northgate):
    jws = sign(northgate.assertion("8", signed=True), northgate.key)
    head, body, signature = jws.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["expires"] = "2099-01-01T00:00:00Z"
    result = verify(jws=f"{head}.{b64url(json.dumps(payload).encode())}.{signature}")
    assert result.verdict == "invalid"
    assert "altered" in failed(result)["signature"]


def test_wrong_recipient_is_genuine_but_not_matched_without_revealing_the_address(northgate):
    result = verify(url=northgate.assertion("9")["id"], recipient="someone.else@example.org")
    assert result.verdict == "valid"
    assert result.recipient_matched is False
    assert "not the one" in failed(result)["recipient"]
    assert "learner" not in json.dumps(result.as_dict())


def test_badge_hosted_away_from_its_issuers_origin_is_invalid(northgate, server):
    # The assertion lives on another server (another origin) than the issuer it names.
    impostor = Server()
    try:
        forged = ForeignIssuer(impostor)  # just for its URL scheme; the badge points at Northgate's issuer
        doc = forged.assertion("10", badge_url=northgate.badge_url)
        result = verify(url=doc["id"])
    finally:
        impostor.close()
    assert result.verdict == "invalid"
    assert "does not name as its own" in failed(result)["issuer"]


def test_signed_badge_with_a_key_its_issuer_does_not_own_is_invalid(northgate):
    impostor = Server()
    try:
        attacker = ForeignIssuer(impostor, key=fresh_key())
        # The attacker's key document claims to belong to Northgate, but Northgate does not list it.
        impostor.json("/key", {**json.loads(impostor.routes["/key"][2]), "owner": northgate.issuer_url})
        doc = northgate.assertion("11", signed=True)
        doc["verification"]["creator"] = attacker.key_url
        result = verify(jws=sign(doc, attacker.key))
    finally:
        impostor.close()
    assert result.verdict == "invalid"
    assert "does not belong" in failed(result)["issuer"]


def test_signed_badge_given_as_plain_json_is_never_passed(northgate):
    result = verify(assertion=northgate.assertion("12", signed=True))
    assert result.verdict == "invalid"
    assert "without its signature" in failed(result)["signature"]


def test_unreachable_documents_make_the_badge_invalid(northgate, server):
    doc = northgate.assertion("13")
    del server.routes["/badge"]
    result = verify(url=doc["id"])
    assert result.verdict == "invalid"
    assert "404" in failed(result)["documents"]
