"""Fixtures for verifying our own badges (PNG and SVG), issued through the services. Used by the
verification tests and the employer's browser test, each conftest importing them from here."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from assertions.models import Assertion
from assertions.pipeline import assertion_bake
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import RECIPIENT, SVG, issue_one, png_bytes


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
