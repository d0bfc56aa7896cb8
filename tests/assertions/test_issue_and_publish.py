"""Issuing hosted and signed badges; their public OB 2.0 documents, baked images and revocation."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.exceptions import PermissionDenied

from assertions.models import Assertion
from assertions.services import assertion_revoke, recipient_hash
from issuers.scoping import tenant_scope
from tests.support import LD, issue_one
from verification.baked import read_baked


def _issue(tenant, badge, **kw):
    with tenant_scope(tenant):
        return issue_one(badge_class=badge, recipient_identity="Learner@Example.org", actor=None, **kw)


def test_hosted_assertion_is_published_as_ob2_json(client, tenant_a, badge_a):
    a = _issue(tenant_a, badge_a)
    response = client.get(f"/public/assertions/{a.public_id}", **LD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in response["Vary"]
    doc = response.json()
    assert doc["@context"] == "https://w3id.org/openbadges/v2"
    assert doc["id"] == f"http://127.0.0.1:8000/public/assertions/{a.public_id}"
    assert doc["verification"] == {"type": "HostedBadge"}
    assert doc["recipient"]["identity"] == recipient_hash("learner@example.org", doc["recipient"]["salt"])
    assert "learner" not in response.content.decode().lower()
    badge = client.get(f"/public/badges/{badge_a.public_id}").json()
    assert badge["alignment"][0]["targetName"] == "CSCS Level 1"
    issuer = client.get(badge["issuer"].replace("http://127.0.0.1:8000", "")).json()
    assert issuer["type"] == "Issuer"
    assert issuer["verification"]["startsWith"] == "http://127.0.0.1:8000/public/assertions/"


def test_browsers_get_html_and_format_json_forces_json(client, tenant_a, badge_a):
    a = _issue(tenant_a, badge_a)
    url = f"/public/assertions/{a.public_id}"
    html = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert html["Content-Type"].startswith("text/html")
    assert b"Safe Scaffolding" in html.content
    assert client.get(url + "?format=json", HTTP_ACCEPT="text/html").json()["type"] == "Assertion"
    assert client.get(url, HTTP_ACCEPT="*/*").json()["type"] == "Assertion"
    assert client.get(url).json()["type"] == "Assertion"


def test_etag_changes_when_the_assertion_changes(client, tenant_a, badge_a):
    a = _issue(tenant_a, badge_a)
    url = f"/public/assertions/{a.public_id}"
    first = client.get(url, **LD)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **LD).status_code == 304
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Issued in error")
    second = client.get(url, **LD)
    assert second["ETag"] != first["ETag"]


def test_revoked_assertion_answers_410_and_is_listed(client, tenant_a, badge_a, issuer_a):
    a = _issue(tenant_a, badge_a)
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Sent to the wrong address")
    response = client.get(f"/public/assertions/{a.public_id}", **LD)
    assert response.status_code == 410
    assert response.json()["revoked"] is True
    assert response.json()["revocationReason"] == "Sent to the wrong address"
    revocations = client.get(f"/public/issuers/{issuer_a.public_id}/revocations", **LD).json()
    assert revocations["type"] == "RevocationList"
    assert revocations["revokedAssertions"][0]["id"].endswith(str(a.public_id))


def test_baked_png_holds_exactly_what_the_url_serves(
    client, tenant_a, badge_a, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        a = _issue(tenant_a, badge_a)
    with tenant_scope(tenant_a):
        a.refresh_from_db()
    assert a.baked_image
    image = client.get(f"/public/assertions/{a.public_id}/image")
    assert image["Content-Type"] == "image/png"
    baked = b"".join(image.streaming_content) if image.streaming else image.content
    served = client.get(f"/public/assertions/{a.public_id}", **LD).content
    assert read_baked(baked).encode() == served


def test_signed_assertion_is_a_jws_that_verifies_with_the_published_key(client, tenant_a, badge_a, eager):
    a = _issue(tenant_a, badge_a, verification_type=Assertion.Verification.SIGNED)
    baked = client.get(f"/public/assertions/{a.public_id}/image").content
    jws = read_baked(baked)
    header, payload, signature = jws.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["verification"]["type"] == "SignedBadge"
    key_doc = client.get(claims["verification"]["creator"].replace("http://127.0.0.1:8000", ""), **LD).json()
    public_key = serialization.load_pem_public_key(key_doc["publicKeyPem"].encode())
    public_key.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                      f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    issuer = client.get(key_doc["owner"].replace("http://127.0.0.1:8000", ""), **LD).json()
    assert key_doc["id"] in issuer["publicKey"]


def test_another_tenant_cannot_issue_or_revoke_a_badge(tenant_a, tenant_b, badge_a):
    with tenant_scope(tenant_b), pytest.raises(PermissionDenied):
        issue_one(badge_class=badge_a, recipient_identity="x@example.org")
    a = _issue(tenant_a, badge_a)
    with tenant_scope(tenant_b), pytest.raises(PermissionDenied):
        assertion_revoke(assertion=a, reason="nope")


def test_suspended_tenant_cannot_issue_but_old_badges_verify(client, tenant_a, badge_a):
    from issuers.services import tenant_set_status

    a = _issue(tenant_a, badge_a)
    tenant_set_status(tenant=tenant_a, status="suspended")
    badge_a.tenant.refresh_from_db()
    with pytest.raises(PermissionDenied):
        _issue(tenant_a, badge_a)
    assert client.get(f"/public/assertions/{a.public_id}", **LD).status_code == 200


def test_rotating_the_key_leaves_signed_awards_pointing_at_their_own_key(client, tenant_a, badge_a, issuer_a):
    from issuers.services import signing_key_rotate

    a = _issue(tenant_a, badge_a, verification_type=Assertion.Verification.SIGNED)
    before = client.get(f"/public/assertions/{a.public_id}", **LD).json()["verification"]["creator"]
    with tenant_scope(tenant_a):
        signing_key_rotate(issuer=issuer_a, actor=None)
    after = client.get(f"/public/assertions/{a.public_id}", **LD).json()["verification"]["creator"]
    assert after == before
    issuer_doc = client.get(f"/public/issuers/{issuer_a.public_id}", **LD).json()
    assert before in issuer_doc["publicKey"]
    assert len(issuer_doc["publicKey"]) == 2
