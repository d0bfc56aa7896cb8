"""Endorsements as published: OB 2.0 documents the reference validator accepts, shown to employers."""

from __future__ import annotations

import json

import pytest

from tests.support import endorse, issue_to_learner
from tests.support.conformance import errors, validate
from verification.verifier import verify


@pytest.mark.conformance
def test_an_endorsed_badge_and_its_endorsement_pass_the_reference_validator(served, tenant_a, client):
    server, badges, _ = served
    endorsement = endorse(tenant_a, badges["png"])
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
    endorse(tenant_a, badges["png"])
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
    endorsement = endorse(tenant_a, badges["png"])
    endorsement_withdraw(endorsement=endorsement, user=endorsement.endorser.owner)
    badge_doc = json.loads(client.get(f"/public/badges/{badges['png'].public_id}").content)
    assert "endorsement" not in badge_doc
    response = client.get(f"/public/endorsements/{endorsement.public_id}")
    assert response.status_code == 410
    assert json.loads(response.content)["revoked"] is True
    profile = json.loads(client.get(f"/public/endorsers/{endorsement.endorser.public_id}").content)
    assert profile["type"] == "Profile"
