"""Endorsements as published: OB 2.0 documents the reference validator accepts, shown to employers."""

from __future__ import annotations

import json

import pytest

from endorsements.services import endorsement_publish, endorsement_request_create, endorser_profile_save
from issuers.scoping import tenant_scope
from tests.support import issue_to_learner, make_user
from tests.support.conformance import errors, validate
from verification.verifier import verify


def _endorse(tenant, badge, email="hr@acme.example", name="Acme Builders"):
    user = make_user(email)
    endorser_profile_save(user=user, name=name, url="https://acme.example", email="skills@acme.example")
    with tenant_scope(tenant):
        request, _ = endorsement_request_create(badge_class=badge, email=email)
    return endorsement_publish(request=request, user=user, comment="Our site managers trust this badge.")


@pytest.mark.conformance
def test_an_endorsed_badge_and_its_endorsement_pass_the_reference_validator(served, tenant_a, client):
    server, badges, _ = served
    endorsement = _endorse(tenant_a, badges["png"])
    a = issue_to_learner(tenant_a, badges["png"])
    badge_doc = json.loads(client.get(f"/public/badges/{badges['png'].public_id}").content)
    assert badge_doc["endorsement"] == [f"{server.url}/public/endorsements/{endorsement.public_id}"]
    # The validator follows the badge class's `endorsement` and checks the Endorsement and its Profile.
    report = validate(f"{server.url}/public/assertions/{a.public_id}")
    assert report["valid"], errors(report)
    nodes = {n.get("type"): n for n in report["graph"]}
    assert nodes["Endorsement"]["claim"]["endorsementComment"] == "Our site managers trust this badge."
    assert nodes["Profile"]["name"] == "Acme Builders"


def test_the_employer_sees_who_endorsed_the_badge(served, tenant_a, client):
    server, badges, _ = served
    _endorse(tenant_a, badges["png"])
    a = issue_to_learner(tenant_a, badges["png"])
    result = verify(url=f"{server.url}/public/assertions/{a.public_id}")
    assert result.verdict == "valid"
    (endorsed,) = result.badge["endorsements"]
    assert (endorsed["name"], endorsed["comment"]) == ("Acme Builders", "Our site managers trust this badge.")
    page = client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="text/html")
    assert b"Endorsed by" in page.content
    assert b"Acme Builders" in page.content
    badge_page = client.get(f"/public/badges/{badges['png'].public_id}", HTTP_ACCEPT="text/html")
    assert b"Endorsed by" in badge_page.content
    assert b"Our site managers trust this badge." in badge_page.content


def test_a_withdrawn_endorsement_is_gone_from_the_badge_and_answers_410(served, tenant_a, client):
    from endorsements.services import endorsement_withdraw

    server, badges, _ = served
    endorsement = _endorse(tenant_a, badges["png"])
    endorsement_withdraw(endorsement=endorsement, user=endorsement.endorser.owner)
    badge_doc = json.loads(client.get(f"/public/badges/{badges['png'].public_id}").content)
    assert "endorsement" not in badge_doc
    response = client.get(f"/public/endorsements/{endorsement.public_id}")
    assert response.status_code == 410
    assert json.loads(response.content)["revoked"] is True
    profile = json.loads(client.get(f"/public/endorsers/{endorsement.endorser.public_id}").content)
    assert profile["type"] == "Profile"
