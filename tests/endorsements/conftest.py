"""Fixtures for the endorsement tests: the badge class a college asks outsiders to endorse."""

from __future__ import annotations

import pytest

from tests.support import make_badge
from tests.support.conformance import served  # noqa: F401 - a fixture


@pytest.fixture
def badge(tenant_a, issuer_a):
    """College A's "Site Safety", which the tests here ask an employer to endorse."""
    return make_badge(tenant_a, issuer_a, "Site Safety", description="Works safely on site.")
