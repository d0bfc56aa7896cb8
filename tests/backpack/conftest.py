"""Fixtures for the learner layer: two colleges' badges, a learner with a verified address, awards, a
foreign OB 3.0 issuer (tests.support.ob3)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.support.ob3 import harbour  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
