"""The verifier over our own badges: read from the database, with no HTTP at all.

PUBLIC_BASE_URL points at a host that does not exist and private addresses are refused, so any
attempt to fetch would fail the verification: passing proves no request was made."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assertions.documents import public_url
from assertions.pipeline import baked_payload
from assertions.services import assertion_revoke
from issuers.scoping import tenant_scope
from verification.verifier import verify

RECIPIENT = "learner@example.org"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.PUBLIC_BASE_URL = "https://badges.invalid"
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = False


def failed(result) -> dict[str, str]:
    return {c.name: c.message for c in result.checks if not c.passed}


def test_our_hosted_badge_is_valid_from_the_database(issue):
    a = issue()
    result = verify(url=public_url("assertions", a.public_id), recipient=RECIPIENT)
    assert result.verdict == "valid", result.checks
    assert result.our_assertion_id == a.public_id
    assert result.issuer["branding"]["college"] == "College A"
    assert result.badge["alignments"][0]["code"] == "L1"


@pytest.mark.parametrize("kind", ["png", "svg"])
@pytest.mark.parametrize("signed", [False, True])
def test_our_baked_badges_are_valid(issue, baked, kind, signed):
    a = issue(kind, signed=signed)
    result = verify(image=baked(a), recipient=RECIPIENT)
    assert result.verdict == "valid", result.checks
    assert result.badge["verification"] == ("signed" if signed else "hosted")
    assert ("signature" in {c.name for c in result.checks}) is signed


def test_our_signed_jws_is_valid(issue, tenant_a):
    a = issue(signed=True)
    with tenant_scope(tenant_a):
        jws = baked_payload(a)
    assert verify(jws=jws).verdict == "valid"


def test_our_revoked_badge_is_revoked_hosted_and_signed(issue, baked, tenant_a):
    hosted, signed = issue(), issue(signed=True)
    image = baked(signed)
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=hosted, reason="Issued in error")
        assertion_revoke(assertion=signed, reason="Sent to the wrong learner")
    result = verify(url=public_url("assertions", hosted.public_id))
    assert result.verdict == "revoked"
    assert "Issued in error" in failed(result)["revocation"]
    result = verify(image=image)  # the baked JWS still verifies, but the revocation list names it
    assert result.verdict == "revoked"
    assert "Sent to the wrong learner" in failed(result)["revocation"]


def test_our_expired_badge_is_expired(issue):
    now = timezone.now()
    a = issue(issued_on=now - timedelta(days=30), expires=now - timedelta(days=1))
    result = verify(url=public_url("assertions", a.public_id))
    assert result.verdict == "expired"


def test_our_tampered_jws_is_invalid(issue, tenant_a):
    a = issue(signed=True)
    with tenant_scope(tenant_a):
        head, body, sig = baked_payload(a).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["recipient"]["identity"] = "sha256$" + "0" * 64
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    result = verify(jws=f"{head}.{forged}.{sig}")
    assert result.verdict == "invalid"
    assert "signature" in failed(result)


def test_wrong_recipient_of_our_badge_is_genuine_but_not_matched(issue):
    result = verify(url=public_url("assertions", issue().public_id), recipient="other@example.org")
    assert result.verdict == "valid"  # the authenticity verdict is unchanged
    assert result.recipient_matched is False
    assert result.as_dict()["recipient_matched"] is False
    assert result.as_dict()["valid"] is False
    assert result.headline == "Genuine badge, but not issued to this email address"
    assert set(failed(result)) == {"recipient"}


def test_an_unknown_id_on_our_site_is_invalid(db):
    result = verify(url=public_url("assertions", "7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11"))
    assert result.verdict == "invalid"
    assert "does not exist" in failed(result)["documents"]


def test_a_link_to_our_site_that_is_not_an_assertion_is_invalid(db):
    assert verify(url="https://badges.invalid/public/keys/../../admin/").verdict == "invalid"
