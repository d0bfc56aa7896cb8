"""Fixtures for the wallet tests: a learner with a verified address and an award of College A."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from backpack.models import BackpackEntry
from tests.support.learners import award


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lees_award(learner, badge_a):
    return award(badge_a)


@pytest.fixture
def lees_page(client, learner, lees_award):
    """The path of Lee's badge page, Lee signed in."""
    client.force_login(learner)
    client.get("/backpack/")
    entry = BackpackEntry.objects.get(user=learner, assertion=lees_award)
    return f"/backpack/badges/{entry.public_id}/"


@pytest.fixture
def live(live_server, settings):
    """The live server as the credential issuer (its URL is PUBLIC_BASE_URL, so did:web and the
    offer links name it)."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server
