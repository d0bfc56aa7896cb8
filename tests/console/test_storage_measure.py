"""The daily storage measure of a college: its logo, issuer and badge images and both baked images of every
award (OB 2.0 and OB 3.0). The awards' images are a running total: a day's run reads the sizes of the
images of the awards made since the run before, not of every award again, and a full count every
STORAGE_RECOUNT_DAYS takes out what was deleted meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from assertions.models import Assertion
from assertions.pipeline import bake_pending
from console.models import StorageMeasure
from console.services import storage_measure
from console.tasks import storage_measure_all
from credentials.models import IssuedCredential
from issuers.scoping import tenant_scope
from tests.support import issue_one

pytestmark = pytest.mark.django_db


def _award(badge, email: str, hours_ago: float = 2) -> list[str]:
    """A baked award made ``hours_ago``: the names of its two images."""
    award = issue_one(badge_class=badge, recipient_identity=email)
    bake_pending([award.pk])
    Assertion.objects.filter(pk=award.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    award.refresh_from_db()
    names = [award.baked_image.name, IssuedCredential.objects.get(assertion=award).baked_image.name]
    assert all(names)
    return names


def _size(names: list[str]) -> int:
    return sum(default_storage.size(name) for name in names)


def _fixed(badge) -> list[str]:
    return [f.name for f in (badge.image, badge.image_png) if f]


def test_the_measure_counts_the_badge_images_and_both_images_of_every_award(tenant_a, badge_a):
    with tenant_scope(tenant_a):
        images = _award(badge_a, "ann@example.org") + _award(badge_a, "ben@example.org")
        measure = storage_measure(tenant=tenant_a)
    assert measure.files == len(_fixed(badge_a)) + 4
    assert measure.bytes == _size(_fixed(badge_a)) + _size(images)
    assert measure.counted_in_full_at is not None


def test_the_next_days_measure_reads_only_the_awards_made_since(tenant_a, badge_a, settings):
    with tenant_scope(tenant_a):
        first = _award(badge_a, "ann@example.org")
        storage_measure(tenant=tenant_a)
        # The first award's images vanish behind the measure's back: a run that read every file again
        # would notice; the running total does not, until the full count.
        for name in first:
            default_storage.delete(name)
        second = _award(badge_a, "ben@example.org")
        made_just_now = issue_one(badge_class=badge_a, recipient_identity="cat@example.org")
        bake_pending([made_just_now.pk])
        measure = storage_measure(tenant=tenant_a)
        assert measure.files == len(_fixed(badge_a)) + 4  # the first award's two (kept), the second's two
        assert measure.award_bytes == measure.bytes - _size(_fixed(badge_a))
        assert measure.awards_through == Assertion.objects.get(recipient_identity="ben@example.org").pk
        # The award made within the hour is counted by a later run, once it has settled.
        Assertion.objects.filter(pk=made_just_now.pk).update(created_at=timezone.now() - timedelta(hours=2))
        assert storage_measure(tenant=tenant_a).files == len(_fixed(badge_a)) + 6

        StorageMeasure.objects.filter(tenant=tenant_a).update(
            counted_in_full_at=timezone.now() - timedelta(days=settings.STORAGE_RECOUNT_DAYS, minutes=1))
        recounted = storage_measure(tenant=tenant_a)
        made_just_now.refresh_from_db()
        third = [made_just_now.baked_image.name,
                 IssuedCredential.objects.get(assertion=made_just_now).baked_image.name]
    assert recounted.files == len(_fixed(badge_a)) + 4  # the deleted images are gone from the count
    assert recounted.bytes == _size(_fixed(badge_a)) + _size(second) + _size(third)
    assert recounted.counted_in_full_at > timezone.now() - timedelta(minutes=1)


def test_the_daily_run_measures_every_college_apart(tenant_a, tenant_b, badge_a, badge_b):
    with tenant_scope(tenant_a):
        ours = _award(badge_a, "ann@example.org")
    with tenant_scope(tenant_b):
        theirs = _award(badge_b, "ann@example.org") + _award(badge_b, "ben@example.org")
    assert storage_measure_all.apply().get() >= 2
    a, b = (StorageMeasure.objects.get(tenant=t) for t in (tenant_a, tenant_b))
    assert a.award_files == 2
    assert a.award_bytes == _size(ours)
    assert b.award_files == 4
    assert b.award_bytes == _size(theirs)
