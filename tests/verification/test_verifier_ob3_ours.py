"""The verifier over our own Open Badges 3.0 credentials: read from the database (PUBLIC_BASE_URL is an
address nobody answers, so any HTTP would fail), as JSON, JWT, baked PNG and SVG and by link; revoked by
the status list (JSON) and by the revocation list (JWT) at once; with the college's branding."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assertions.services import assertion_revoke
from credentials import services
from credentials.documents import credential_url
from issuers.scoping import tenant_scope
from tests.support import RECIPIENT
from verification.verifier import verify


@pytest.fixture(autouse=True)
def _nowhere(settings):
    settings.PUBLIC_BASE_URL = "https://badges.invalid"


def _forms(tenant, award) -> dict[str, dict]:
    with tenant_scope(tenant):
        record = services.credential_record(award)
        signed = services.credential_signed(award, record)
        return {"json": {"assertion": signed}, "text": {"text": json.dumps(signed)},
                "jwt": {"jws": services.credential_jwt(award, record)},
                "image": {"image": services.credential_bake(award, record)},
                "url": {"url": credential_url(award.public_id)},
                "jwt url": {"url": credential_url(award.public_id) + "/jwt"}}


def failed(result) -> list[str]:
    return [c.message for c in result.checks if not c.passed]


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_our_credential_is_valid_in_every_form_from_the_database(tenant_a, issue, kind):
    award = issue(kind)
    for form, given in _forms(tenant_a, award).items():
        result = verify(**given, recipient=RECIPIENT)
        assert result.verdict == "valid", (form, failed(result))
        assert result.recipient_matched is True
        assert result.our_assertion_id == award.public_id, form
        assert result.badge["standard"] == "Open Badges 3.0"
        assert result.badge["name"] == f"Bricklaying ({kind})"
        assert result.issuer["name"] == "College A Construction"
        assert result.issuer["branding"]["college"] == tenant_a.name, form


def test_our_revoked_credential_is_revoked_by_the_status_list_and_by_the_revocation_list(tenant_a, issue):
    award = issue()
    forms = _forms(tenant_a, award)
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Issued in error")
    by_list = verify(**forms["json"])
    assert by_list.verdict == "revoked"
    assert "in the signed status list is set" in failed(by_list)[0]
    by_jwt = verify(**forms["jwt"])
    assert by_jwt.verdict == "revoked"
    assert failed(by_jwt) == ["College A Construction has revoked this credential: Issued in error"]
    assert by_jwt.badge["revoked_at"] is not None


def test_our_expired_credential_is_expired(tenant_a, issue):
    award = issue(expires=timezone.now() - timedelta(days=1), issued_on=timezone.now() - timedelta(days=30))
    result = verify(**_forms(tenant_a, award)["json"])
    assert result.verdict == "expired"
    assert failed(result)[0].startswith("This credential expired on")


def test_our_credential_with_its_subject_changed_is_not_valid(tenant_a, issue):
    signed = _forms(tenant_a, issue())["json"]["assertion"]
    signed["credentialSubject"]["achievement"]["name"] = "Master Bricklayer"
    result = verify(assertion=signed)
    assert result.verdict == "invalid"
    assert "The digital signature of this credential is not valid" in failed(result)[0]


def test_a_credential_link_on_our_site_that_names_no_award_is_invalid(db):
    result = verify(url="https://badges.invalid/public/credentials/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11")
    assert result.verdict == "invalid"
    assert "does not exist" in failed(result)[0]
