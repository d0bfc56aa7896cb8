"""A learner downloads what the platform holds about them, as one JSON document."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress

from backpack.services import collection_create
from tests.support import make_user
from tests.support.learners import award

pytestmark = pytest.mark.django_db


def test_the_download_holds_the_account_addresses_awards_from_every_college_and_collections(
        client, badge_a, badge_b):
    learner = make_user("lee@learner.example")
    learner.name = "Lee Learner"
    learner.save()
    EmailAddress.objects.create(user=learner, email="lee.work@employer.example", verified=True)
    EmailAddress.objects.create(user=learner, email="lee.old@school.example", verified=False)
    home = award(badge_a, "lee@learner.example", recipient_name="Lee L", narrative="Laid 500 bricks.")
    work = award(badge_b, "lee.work@employer.example")
    award(badge_b, "lee.old@school.example")  # an address never proven: not theirs as far as we know
    client.force_login(learner)
    collection_create(user=learner, name="Site work")

    response = client.get("/backpack/my-data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "lee@learner.example"
    assert data["account"]["name"] == "Lee Learner"
    assert {(a["email"], a["verified"]) for a in data["addresses"]} == {
        ("lee@learner.example", True), ("lee.work@employer.example", True), ("lee.old@school.example", False)}
    by_id = {a["id"]: a for a in data["awards"]}
    assert set(by_id) == {str(home.public_id), str(work.public_id)}
    assert by_id[str(home.public_id)]["college"] == "College A"
    assert by_id[str(home.public_id)]["name_recorded"] == "Lee L"
    assert by_id[str(home.public_id)]["narrative"] == "Laid 500 bricks."
    assert by_id[str(work.public_id)]["sent_to"] == "lee.work@employer.example"
    assert by_id[str(work.public_id)]["backpack"]["visibility"] == "link"
    assert [c["name"] for c in data["collections"]] == ["Site work"]


def test_the_download_needs_the_learner_signed_in(client):
    response = client.get("/backpack/my-data.json")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
