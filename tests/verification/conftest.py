"""Fixtures for verification tests: our own badges (PNG and SVG, from tests.support.verification) and
a foreign OB 3.0 issuer (tests.support.ob3); a cache emptied around each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.support.conformance import served  # noqa: F401 - a fixture
from tests.support.ob3 import harbour  # noqa: F401 - a fixture
from tests.support.verification import badges, baked, issue  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
