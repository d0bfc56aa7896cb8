"""Work that assertions announces to the layers above (the pathway check after an award) is not lost
when the database is down while it runs, nor when the broker is down as it is announced: a real worker
retries it, and the pipeline sweep queues what was never queued. Either way the capstone is awarded,
once, without waiting for the nightly reconcile."""

from __future__ import annotations

import time

import pytest
from django.core.files.base import ContentFile

from assertions.models import Announcement, Assertion
from assertions.tasks import pipeline_sweep
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from pathways.services import pathway_create
from tests.support import issue_one, png_bytes
from tests.support.servers import wait_for


@pytest.fixture
def two_badge_pathway(tenant_a, issuer_a, alice):
    """Health & Safety and Food Hygiene → Kitchen Ready."""
    with tenant_scope(tenant_a):
        badges = []
        for name in ("Health & Safety", "Food Hygiene", "Kitchen Ready"):
            badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name=name, description=name)
            badge.image.save("b.png", ContentFile(png_bytes()), save=False)
            badge.save()
            badges.append(badge)
        *required, capstone = badges
        tree = {"all": [{"badge": str(b.public_id)} for b in required]}
        pathway_create(tenant=tenant_a, name="Kitchen Ready", tree=tree, capstone=capstone, actor=alice,
                       retro_award=False)
    return required, capstone


def _capstones(tenant, capstone) -> list[str]:
    with tenant_scope(tenant):
        return list(Assertion.objects.filter(badge_class=capstone).values_list("recipient_identity", flat=True))


def _announcements(tenant) -> list[str]:
    with tenant_scope(tenant):
        return list(Announcement.objects.values_list("event", flat=True))


def _award_both(tenant, required) -> None:
    with tenant_scope(tenant):
        for badge in required:
            issue_one(badge_class=badge, recipient_identity="lee@example.org", recipient_name="Lee Ann")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pathway_check_that_finds_the_database_down_is_retried_and_awards_the_capstone_once(
        tenant_a, two_badge_pathway, start_worker, tmp_path):
    required, capstone = two_badge_pathway
    down = tmp_path / "database-down"
    worker = start_worker(env={"BADGEPLATFORM_TEST_DATABASE_DOWN": str(down), "TASK_MAX_COUNTDOWN": "2"})
    down.touch()  # from now on every query of the worker fails; this process's still work
    _award_both(tenant_a, required)

    def retried() -> bool:
        log = worker.log_path.read_text(errors="replace")
        return "pathways.tasks.assertions_issued" in log and "Retry in" in log

    wait_for(retried,
             timeout=60, alive=worker.assert_alive, message=f"the pathway check was not retried:\n{worker.log()}")
    assert _capstones(tenant_a, capstone) == []
    down.unlink()  # the database is back

    wait_for(lambda: _capstones(tenant_a, capstone), timeout=60, alive=worker.assert_alive,
             message=f"the capstone was not awarded once the database was back:\n{worker.log()}")
    time.sleep(3)  # a second check (a retry of the other award's) would award now if it could
    assert _capstones(tenant_a, capstone) == ["lee@example.org"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_award_announced_while_the_broker_is_down_is_told_by_the_sweep_once_it_is_back(
        tenant_a, two_badge_pathway, start_worker, broker_is, settings):
    required, capstone = two_badge_pathway
    redis = broker_is
    redis.stop()
    _award_both(tenant_a, required)
    assert _announcements(tenant_a) == ["issued", "issued"]  # kept: their tasks were never queued

    redis.start()  # empty: nothing was queued while it was down
    worker = start_worker(env={"REDIS_URL": redis.url})
    settings.PIPELINE_STUCK_AFTER = 0
    assert pipeline_sweep()["announced"] == 2

    wait_for(lambda: _capstones(tenant_a, capstone), timeout=60, alive=worker.assert_alive,
             message=f"the capstone was not awarded after the sweep:\n{worker.log()}")
    # The capstone's own award is announced by the worker, and forgotten once queued, like every other.
    wait_for(lambda: not _announcements(tenant_a), timeout=10,
             message="an announcement was left behind after its tasks were queued")
    assert pipeline_sweep()["announced"] == 0
    time.sleep(1)
    assert _capstones(tenant_a, capstone) == ["lee@example.org"]
