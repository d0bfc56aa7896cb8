"""Fixtures for verification tests: our own badges (PNG and SVG), issued through the services."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from assertions.models import Assertion
from assertions.pipeline import assertion_bake
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes

RECIPIENT = "learner@example.org"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">'
       b'<circle cx="100" cy="100" r="90" fill="#1d4ed8"/></svg>')


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def badges(tenant_a, issuer_a):
    made = {}
    with tenant_scope(tenant_a):
        for kind in ("png", "svg"):
            badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name=f"Bricklaying ({kind})",
                               description="Lays a straight course of bricks.", image_type=kind,
                               criteria_narrative="Lay ten bricks level and plumb.",
                               alignments=[{"targetName": "CSCS Level 1", "targetUrl": "https://example.org/cscs",
                                            "targetFramework": "CSCS", "targetCode": "L1"}])
            badge.image.save(f"b.{kind}", ContentFile(png_bytes() if kind == "png" else SVG), save=False)
            badge.save()
            made[kind] = badge
    return made


@pytest.fixture
def issue(tenant_a, badges):
    def _issue(kind: str = "png", *, signed: bool = False, **kw) -> Assertion:
        verification = Assertion.Verification.SIGNED if signed else Assertion.Verification.HOSTED
        with tenant_scope(tenant_a):
            return issue_one(badge_class=badges[kind], recipient_identity=RECIPIENT,
                                   verification_type=verification, **kw)
    return _issue


@pytest.fixture
def baked(tenant_a):
    def _baked(assertion: Assertion) -> bytes:
        with tenant_scope(tenant_a):
            return assertion_bake(assertion)
    return _baked
