"""assertions.selectors.awards_with_badges: a batch's awards with their badge, issuer and tenant, each read
once and shared, in three queries whatever the batch's size, and equal to what select_related gives."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from assertions.models import Assertion
from assertions.selectors import awards_with_badges
from assertions.services import Recipient, assertion_issue
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import png_bytes

pytestmark = pytest.mark.django_db


def test_a_batch_shares_one_badge_issuer_and_tenant_in_three_queries(tenant_a, issuer_a, django_assert_num_queries):
    with tenant_scope(tenant_a):
        badges = []
        for name in ("Safe Scaffolding", "Working at Height"):
            badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name=name, description="A badge.")
            badge.image.save("b.png", ContentFile(png_bytes()), save=False)
            badge.save()
            badges.append(badge)
        for badge in badges:
            assertion_issue(badge_class=badge, recipients=[Recipient(identity=f"l{n}.{badge.pk}@example.org", name="L")
                                                           for n in range(3)])
        rows = Assertion.objects.filter(badge_class__in=badges).order_by("pk")
        with django_assert_num_queries(3):
            awards = awards_with_badges(rows, tenant=True)
            names = [(a.badge_class.name, a.badge_class.issuer.name, a.tenant.slug) for a in awards]
        joined = list(rows.select_related("badge_class__issuer", "tenant"))
        assert names == [(a.badge_class.name, a.badge_class.issuer.name, a.tenant.slug) for a in joined]
        assert [a.pk for a in awards] == [a.pk for a in joined]
        assert len({id(a.badge_class) for a in awards}) == 2
        assert len({id(a.tenant) for a in awards}) == 1
        for award, plain in zip(awards, joined, strict=True):
            assert award.badge_class == plain.badge_class
            assert award.badge_class.issuer == plain.badge_class.issuer
            assert award.tenant == plain.tenant
