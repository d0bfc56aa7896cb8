"""The platform's health at a glance: queue lengths asked of the broker, emails not delivered in the last
24 hours across colleges, stuck bulk jobs, the last run of each beat task, signing keys' count and age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assertions.bulk import bulk_job_create, bulk_preview, rows_from_lines
from assertions.models import BulkJob
from console.selectors import platform_health
from console.tasks import storage_measure_all
from issuers.models import OutboxEmail, PeriodicRun
from issuers.scoping import tenant_scope
from issuers.tasks import outbox_sweep
from tests.support.servers import private_broker


def test_queue_lengths_are_read_from_the_broker(tmp_path, db, settings):
    every_queue = {q.name: 0 for q in settings.CELERY_TASK_QUEUES}
    with private_broker(tmp_path):
        assert platform_health().queues == every_queue
        for _ in range(3):
            storage_measure_all.apply_async(queue="bulk")
        storage_measure_all.apply_async()
        health = platform_health()
    assert health.queues == {**every_queue, "celery": 1, "bulk": 3}
    assert health.broker_error == ""


def test_a_broker_that_does_not_answer_is_said_so(db, settings):
    from tests.support import broker_down

    with broker_down():
        health = platform_health()
    assert health.queues == {q.name: None for q in settings.CELERY_TASK_QUEUES}
    assert health.broker_error.startswith("The broker did not answer")


def test_the_health_page_shows_failed_emails_stuck_jobs_beat_runs_and_keys(client, platform_admin, tenant_a,
                                                                           badge_a, alice, tmp_path):
    OutboxEmail.objects.create(tenant=tenant_a, kind="award", to="a@example.org", status=OutboxEmail.Status.FAILED,
                               error="550 no such user")
    OutboxEmail.objects.create(tenant=tenant_a, kind="award", to="b@example.org", status=OutboxEmail.Status.UNKNOWN)
    OutboxEmail.objects.create(tenant=tenant_a, kind="award", to="c@example.org", status=OutboxEmail.Status.FAILED,
                               updated_at=timezone.now() - timedelta(hours=25))  # older than a day: not shown
    with tenant_scope(tenant_a):
        job, _ = bulk_job_create(badge_class=badge_a, preview=bulk_preview(
            badge_class=badge_a, rows=rows_from_lines("x@example.org")), actor=alice, issue_now=False)
        BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.RUNNING,
                                                 updated_at=timezone.now() - timedelta(hours=1))
    outbox_sweep.apply()

    health = platform_health()
    assert [(r["tenant__name"], r["status"], r["n"]) for r in health.failed_emails] == [
        ("College A", "failed", 1), ("College A", "unknown", 1)]
    assert [j.pk for j in health.stuck_jobs] == [job.pk]
    runs = {p["task"]: p for p in health.periodic}
    assert runs["issuers.tasks.outbox_sweep"]["run"].succeeded is True
    assert runs["issuers.tasks.outbox_sweep"]["late"] is False
    assert runs["pathways.tasks.pathways_reconcile"]["run"] is None  # never ran: shown as such
    assert health.signing_keys == 1  # issuer_a's, made with badge_a's issuer

    with private_broker(tmp_path):
        client.force_login(platform_admin)
        page = client.get(reverse("console:health")).content.decode()
    assert "Never ran" in page
    assert "Delivery unknown" in page
    assert "Safe Scaffolding" in page  # the stuck job's badge


def test_a_failing_beat_task_is_recorded_with_its_error(db, monkeypatch):
    import console.tasks

    def broken() -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(console.tasks, "storage_measure", lambda **kw: broken())
    from issuers.models import Tenant

    Tenant.objects.create(name="X", slug="x")
    with pytest.raises(RuntimeError):
        storage_measure_all.apply()
    run = PeriodicRun.objects.get(task="console.tasks.storage_measure_all")
    assert run.succeeded is False
    assert run.error == "RuntimeError: disk full"


def test_every_beat_task_records_its_runs(settings):
    """The health page can show the last run of each beat task only if each one has the recording base class."""
    from celery import current_app

    from issuers.tasks import PeriodicTask

    current_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert isinstance(current_app.tasks[entry["task"]], PeriodicTask), name
