"""A revocation is announced to the layers above (``assertions.events.ANNOUNCED["revoked"]``: the pathways
check that flags a capstone whose required badge was revoked) as an ``Announcement`` row written in the
revocation's own transaction: queued once it commits, kept for the pipeline sweep when the broker is down,
and never written for a revocation that rolled back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from assertions.events import ANNOUNCED
from assertions.models import Announcement
from assertions.services import assertion_revoke
from assertions.tasks import pipeline_sweep
from issuers.scoping import tenant_scope
from pathways.models import PathwayCompletion
from pathways.services import pathway_create
from pathways.tasks import assertion_revoked
from tests.support import broker_down, eager_tasks, issue_one, make_badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(tenant_a, issuer_a, alice, django_capture_on_commit_callbacks):
    """Lee holds the one badge a pathway requires, and so its capstone: the award of the required badge."""
    with tenant_scope(tenant_a):
        required = make_badge(tenant_a, issuer_a, "Food Hygiene")
        capstone = make_badge(tenant_a, issuer_a, "Kitchen Ready")
        pathway_create(tenant=tenant_a, name="Kitchen Ready", tree={"all": [{"badge": str(required.public_id)}]},
                       capstone=capstone, actor=alice, retro_award=False)
        with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
            award = issue_one(badge_class=required, recipient_identity="lee@example.org", notify=False)
        assert PathwayCompletion.objects.filter(flagged_at=None).count() == 1
        assert not Announcement.objects.exists()
    return award


def _flagged(tenant) -> list[str]:
    with tenant_scope(tenant):
        return list(PathwayCompletion.objects.exclude(flagged_at=None).values_list("flag_reason", flat=True))


def test_the_pathways_task_is_registered_for_revocations():
    assert assertion_revoked in list(ANNOUNCED["revoked"])


def test_a_revocation_commits_its_announcement_and_the_registered_task_flags_the_capstone(
        tenant_a, alice, completed, django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a), eager_tasks(), django_capture_on_commit_callbacks(execute=True) as hooks:
        assertion_revoke(assertion=completed, reason="Assessment withdrawn", actor=alice)
        (announcement,) = Announcement.objects.all()  # written in the revocation's transaction
        assert announcement.event == "revoked"
        assert announcement.kwargs == {"tenant_id": tenant_a.pk, "assertion_id": completed.pk}
    assert hooks  # queued only once the revocation committed
    assert _flagged(tenant_a) == ["Food Hygiene was revoked (Assessment withdrawn): decide whether the capstone "
                                  "stands."]
    with tenant_scope(tenant_a):
        assert not Announcement.objects.exists()  # every task queued: forgotten


def test_a_revocation_announced_while_the_broker_is_down_is_queued_by_the_sweep(
        tenant_a, alice, completed, django_capture_on_commit_callbacks, settings):
    with tenant_scope(tenant_a), broker_down(), django_capture_on_commit_callbacks(execute=True):
        assertion_revoke(assertion=completed, reason="Assessment withdrawn", actor=alice)
    assert _flagged(tenant_a) == []
    with tenant_scope(tenant_a):
        assert list(Announcement.objects.values_list("event", flat=True)) == ["revoked"]  # kept for the sweep
        Announcement.objects.update(created_at=timezone.now() - timedelta(seconds=settings.PIPELINE_STUCK_AFTER + 1))
    with eager_tasks():
        counts = pipeline_sweep()
    assert counts["announced"] == 1
    assert len(_flagged(tenant_a)) == 1
    with tenant_scope(tenant_a):
        assert not Announcement.objects.exists()


@transaction.atomic
def _revoke_then_fail(award, actor) -> None:
    assertion_revoke(assertion=award, reason="Assessment withdrawn", actor=actor)
    raise RuntimeError("the page failed after the revocation")


def test_a_revocation_that_rolls_back_announces_nothing(tenant_a, alice, completed,
                                                        django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a), eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            _revoke_then_fail(completed, alice)
        assert not Announcement.objects.exists()
        completed.refresh_from_db()
        assert completed.revoked is False
    assert _flagged(tenant_a) == []
