"""Fixtures for verification tests: our own badges (PNG and SVG, from tests.support.verification) and
a cache emptied around each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.support.conformance import served  # noqa: F401 - a fixture
from tests.support.verification import badges, baked, issue  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
