"""Learner-vs-learner sweep, like the tenant one: every backpack URL that takes an id, tried by the
owner and by another learner. Olive must never see or change Lee's badges, collections or addresses."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from backpack import services
from backpack.models import BackpackEntry, Collection, ImportedBadge, Visibility
from tests.support import url_routes
from tests.support.learners import award


def learner_object_urls() -> list[str]:
    return [p.full_name for route, p in url_routes()
            if route.startswith("backpack/") and re.search(r"<(?:\w+:)?public_id>", route)]


@pytest.fixture
def lees(learner, badge_a):
    """Lee's award (claimed), an imported badge and a collection."""
    entry = services.assertion_claim(assertion=award(badge_a), user=learner)
    imported = ImportedBadge.objects.create(
        user=learner, source="jws", original=b"a.b.c", matched_email=learner.email, verdict="valid",
        badge={"name": "Forklift Safety"}, issuer={"name": "Northgate"}, checked_at=timezone.now())
    imported_entry = BackpackEntry.objects.create(user=learner, imported=imported)
    collection = services.collection_create(user=learner, name="Lee's private set", visibility=Visibility.PRIVATE,
                                            entries=[entry])
    return {
        "backpack:badge": [(entry.public_id,), (imported_entry.public_id,)],
        "backpack:badge_action": [(entry.public_id,), (imported_entry.public_id,)],
        "backpack:download": [(entry.public_id, "image"), (entry.public_id, "json"),
                              (imported_entry.public_id, "original")],
        "backpack:certificate": [(entry.public_id,)],
        "backpack:collection": [(collection.public_id,)],
        "backpack:collection_delete": [(collection.public_id,)],
        "obapi:platform_disconnect": [(_connected_platform(learner),)],
    }


def _connected_platform(learner) -> str:
    """A platform Lee let in (an access token of his for its application): its client id."""
    app = Application.objects.create(name="Lee's LMS", client_type="confidential", redirect_uris="https://lms.example/cb",
                                     authorization_grant_type="authorization-code")
    AccessToken.objects.create(user=learner, application=app, token="lees-token", scope="x",
                               expires=timezone.now() + timezone.timedelta(hours=1))
    return app.client_id


POST_ONLY = {"backpack:badge_action", "backpack:collection_delete", "obapi:platform_disconnect"}
ACTIONS = ["claim", "decline", "restore", "recheck", "remove", "add_to_collection"]


def test_every_learner_url_with_an_id_is_in_the_sweep(lees):
    assert sorted(learner_object_urls()) == sorted(lees)


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_learner_gets_404_on_every_learner_url(client, lees, other_learner, method):
    client.force_login(other_learner)
    for name, arg_sets in lees.items():
        if method == "get" and name in POST_ONLY:
            continue
        for args in arg_sets:
            url = reverse(name, args=args)
            if method == "post":
                for action in ACTIONS:
                    assert client.post(url, {"action": action, "visibility": "public", "name": "x"}).status_code \
                        == 404, (url, action)
            else:
                assert client.get(url).status_code == 404, url
    # Nothing changed.
    assert not BackpackEntry.objects.filter(declined_at__isnull=False).exists()
    assert ImportedBadge.objects.count() == 1
    assert Collection.objects.get().name == "Lee's private set"
    assert set(BackpackEntry.objects.values_list("visibility", flat=True)) == {Visibility.LINK}
    assert AccessToken.objects.filter(application__name="Lee's LMS").exists()  # Lee's platform still connected


def test_the_owner_reaches_every_learner_url(client, lees, learner):
    client.force_login(learner)
    for name, arg_sets in lees.items():
        for args in arg_sets:
            expected = 405 if name in POST_ONLY else 200
            assert client.get(reverse(name, args=args)).status_code == expected, (name, args)


def test_another_learners_backpack_shows_none_of_my_badges_or_addresses(client, lees, learner, other_learner):
    EmailAddress.objects.create(user=learner, email="lee.private@home.example", verified=True)
    client.force_login(other_learner)
    page = client.get("/backpack/")
    assert page.context["items"] == []
    assert b"lee.private@home.example" not in page.content
    assert b"lee@learner.example" not in page.content
    assert b"Lee&#x27;s private set" not in client.get("/backpack/collections/").content


def test_my_collection_cannot_take_another_learners_badge(client, lees, learner, other_learner, badge_a):
    client.force_login(other_learner)
    lee_entry = lees["backpack:badge"][0][0]
    response = client.post("/backpack/collections/", {"name": "Olive's", "visibility": "public",
                                                       "entries": [str(lee_entry)]})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not Collection.objects.filter(user=other_learner).exists()
    olives = services.collection_create(user=other_learner, name="Olive's")
    with pytest.raises(Exception, match="Only your own badges"):
        services.collection_add(collection=olives, entry=BackpackEntry.objects.get(public_id=lee_entry))


def test_an_address_verified_by_nobody_shows_its_badges_to_nobody(client, other_learner, badge_a):
    award(badge_a, "shared@family.example")
    EmailAddress.objects.create(user=other_learner, email="shared@family.example", verified=False)
    client.force_login(other_learner)
    assert client.get("/backpack/").context["items"] == []
