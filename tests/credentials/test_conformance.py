"""The outside judge: ob3check (Digital Bazaar's libraries and the 1EdTech JSON schema, built by
`make ob3check`) says VALID for an award made through the API, as JSON, as a VC-JWT and baked in a
PNG and an SVG, with the proof verified against the issuer's did:web key and the schema check passing;
after revocation it says REVOKED by the status list (JSON) and by the revocation list (JWT)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from assertions.models import Assertion
from assertions.services import assertion_revoke
from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support import RECIPIENT, endorse
from tests.support.api import Api
from tests.support.ob3 import ob3check

COLLEGE_FIELDS = {"achievement_type": "Course", "credits_available": 7.5, "field_of_study": "Construction",
                  "human_code": "CSK-101", "in_language": "en-GB", "tags": ["scaffolding"],
                  "alignments": [{"targetName": "CSCS Level 1", "targetUrl": "https://example.org/cscs/1"}]}


def _award(tenant, alice, badge, *, fields: dict | None = None) -> Assertion:
    with tenant_scope(tenant):
        _key, secret = api_key_create(tenant=tenant, name="MIS", actor=alice)
    api = Api(Client(), secret)
    badge_id = str(badge.public_id)
    if fields:
        edited = api.patch(f"/api/v1/badgeclasses/{badge_id}/", fields)
        assert edited.status_code == 200, edited.content
        badge_id = edited.json()["id"]
    response = api.post(f"/api/v1/badgeclasses/{badge_id}/assertions/",
                                          {"recipient_email": RECIPIENT, "evidence": [
                                              {"url": "https://example.org/portfolio/1", "narrative": "A wall."}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ob3_credential_url"].endswith(f"/public/credentials/{body['id']}")
    with tenant_scope(tenant):
        return Assertion.objects.get(public_id=body["id"])


def _fetch(url: str, path: Path) -> Path:
    with urllib.request.urlopen(url) as response:  # noqa: S310 - our live server
        path.write_bytes(response.read())
    return path


def _line(report: str, check: str) -> str:
    return next(line for line in report.splitlines() if f"  {check}:" in line)


def _passes(report: str, *checks: str) -> None:
    for check in checks:
        assert any(line.strip().startswith(f"PASS  {check}") for line in report.splitlines()), (check, report)


@pytest.mark.conformance
def test_an_award_made_through_the_api_is_valid_in_every_form(served, tenant_a, alice):
    server, badges, tmp = served
    award = _award(tenant_a, alice, badges["png"], fields=COLLEGE_FIELDS)
    base = f"{server.url}/public/credentials/{award.public_id}"
    achievement = json.loads(_fetch(base, tmp / "credential.json").read_text())["credentialSubject"]["achievement"]
    assert {k: achievement[k] for k in ("achievementType", "creditsAvailable", "fieldOfStudy", "humanCode",
                                        "inLanguage", "tag")} == {
        "achievementType": "Course", "creditsAvailable": 7.5, "fieldOfStudy": "Construction", "humanCode": "CSK-101",
        "inLanguage": "en-GB", "tag": ["scaffolding"]}
    status, report = ob3check(str(tmp / "credential.json"))
    assert (status, report.rstrip().splitlines()[-1]) == (0, "VALID"), report
    _passes(report, "schema", "proof[0]", "credentialStatus", "context", "json-ld", "compacted-form")
    assert "did:web:" in report
    assert "key is the issuer's assertionMethod" in report

    status, report = ob3check(str(_fetch(f"{base}/jwt", tmp / "credential.jwt")))
    assert status == 0, report
    _passes(report, "schema", "credentialStatus")

    status, report = ob3check(str(_fetch(f"{base}/image", tmp / "baked.png")))
    assert status == 0, report
    _passes(report, "schema", "proof[0]")

    svg_award = _award(tenant_a, alice, badges["svg"])
    status, report = ob3check(str(_fetch(f"{server.url}/public/credentials/{svg_award.public_id}/image",
                                         tmp / "baked.svg")))
    assert status == 0, report
    _passes(report, "schema", "proof[0]")


@pytest.mark.conformance
def test_a_revoked_award_is_revoked_by_the_status_list_and_by_the_revocation_list(served, tenant_a, alice):
    server, badges, tmp = served
    award = _award(tenant_a, alice, badges["png"])
    base = f"{server.url}/public/credentials/{award.public_id}"
    assert ob3check(base)[0] == 0  # read once, so the status list is cached before the revocation
    assert ob3check(str(_fetch(f"{base}/jwt", tmp / "before.jwt")))[0] == 0
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Awarded in error", actor=alice)

    status, report = ob3check(base)
    assert status == 1, report
    assert "REVOKED" in _line(report, "credentialStatus"), report
    assert "BitstringStatusList" in report
    status, report = ob3check(str(_fetch(f"{base}/jwt", tmp / "after.jwt")))
    assert status == 1, report
    assert "REVOKED" in _line(report, "credentialStatus"), report
    assert "1EdTechRevocationList" in report


@pytest.mark.conformance
def test_an_endorsed_badges_credential_is_valid_with_its_endorsement_embedded(served, tenant_a, alice):
    server, badges, tmp = served
    endorse(tenant_a, badges["png"])
    award = _award(tenant_a, alice, badges["png"])
    path = _fetch(f"{server.url}/public/credentials/{award.public_id}", tmp / "endorsed.json")
    assert json.loads(path.read_text())["credentialSubject"]["achievement"]["endorsement"]
    status, report = ob3check(str(path))
    assert status == 0, report
    _passes(report, "schema", "proof[0]", "compacted-form")
