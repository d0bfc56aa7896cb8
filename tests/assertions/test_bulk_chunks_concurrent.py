"""A bulk job's chunks recorded at the same moment by two database sessions, as a worker's two pool processes
record them: each row issued once, a chunk run twice recorded once, the job finished once, and a plan limit
not exceeded by the chunks together.

Each chunk runs in a thread of its own (its own connection to PostgreSQL); the test holds the job's row
locked until every chunk has reached the point where it must wait, so the chunks overlap for certain,
then lets them go. Row locks and a unique index that makes a second insert wait are PostgreSQL's: SQLite
(``make run``'s embedded database) takes one writer at a time, so two chunks never overlap there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction

from assertions.bulk import bulk_chunk_record, bulk_job_chunks, bulk_job_create, bulk_preview, rows_from_json
from assertions.events import ANNOUNCED
from assertions.models import Assertion, BulkJob
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from issuers.services import tenant_set_limits
from tests.support import nothing_registered, png_bytes
from tests.support.servers import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL's row locks: SQLite runs one writer at a time"),
]


@pytest.fixture
def badge(tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        b = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Food Hygiene", description="Level 2.")
        b.image.save("b.png", ContentFile(png_bytes()), save=False)
        b.save()
    return b


def _job(tenant, badge, settings, rows: int) -> BulkJob:
    """A job of ``rows`` rows in chunks of 4, each chunk's awards dated a day of their own: chunks of one day
    would also wait for each other at the day's count (``assertions.tally``), and that must not be what
    keeps them apart here."""
    settings.BULK_CHUNK_SIZE = 4
    lines = rows_from_json([{"email": f"l{i}@example.org", "issued_on": f"2026-09-{1 + i // 4:02d}"}
                            for i in range(rows)])
    with tenant_scope(tenant):
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(badge_class=badge, rows=lines),
                                 issue_now=False)
        bulk_job_chunks(job=job)
    return job


class Told:
    """A task of a layer above, registered as an ``AppConfig.ready`` registers one: it counts what it is told."""

    name = "tests.told"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def delay(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@contextmanager
def _told_of_finished_jobs() -> Iterator[Told]:
    told = Told()
    with nothing_registered(ANNOUNCED["bulk_finished"]):
        ANNOUNCED["bulk_finished"].register(told)  # type: ignore[arg-type]
        yield told


def _waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is otherwise read once per transaction
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def _together(tenant, job: BulkJob, runs: list[Callable[[], Any]], waiting: int) -> list[Any]:
    """Run each function in a thread of its own while this one holds the job's row; once ``waiting`` of them
    wait for a lock, let them all go. Their results (or exceptions), in order."""
    results: list[Any] = [None] * len(runs)

    def run(n: int) -> None:
        try:
            with tenant_scope(tenant):
                results[n] = runs[n]()
        except Exception as exc:  # noqa: BLE001 - handed to the test, which fails on it
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(runs))]
    with tenant_scope(tenant), transaction.atomic():
        BulkJob.objects.select_for_update().filter(pk=job.pk).values_list("pk").first()
        for thread in threads:
            thread.start()
        wait_for(lambda: _waiting_for_locks() >= waiting, timeout=30, interval=0.02,
                 message="the chunks did not reach their locks")
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def test_two_chunks_recorded_at_once_issue_each_row_once_and_add_up(tenant_a, badge, settings):
    job = _job(tenant_a, badge, settings, rows=10)
    results = _together(tenant_a, job, [lambda: bulk_chunk_record(job_id=job.pk, number=0),
                                        lambda: bulk_chunk_record(job_id=job.pk, number=2)], waiting=2)
    assert results == [True, True]
    with tenant_scope(tenant_a):
        job.refresh_from_db()
        assert (job.status, job.cursor, job.issued, job.failed) == ("running", 6, 6, 0)
        assert sorted(Assertion.objects.values_list("recipient_identity", flat=True)) == [
            f"l{i}@example.org" for i in (0, 1, 2, 3, 8, 9)]


def test_a_chunk_run_twice_at_once_is_recorded_by_one_run_the_other_waits_and_skips(tenant_a, badge, settings):
    job = _job(tenant_a, badge, settings, rows=10)
    # The first holds the chunk's marker and waits for the job's row; the second waits for the marker.
    results = _together(tenant_a, job, [lambda: bulk_chunk_record(job_id=job.pk, number=1)] * 2, waiting=2)
    assert sorted(results) == [False, True]
    with tenant_scope(tenant_a):
        job.refresh_from_db()
        assert (job.cursor, job.issued) == (4, 4)
        assert Assertion.objects.filter(bulk_job=job).count() == 4


def test_the_last_two_chunks_committing_at_once_finish_the_job_once(tenant_a, badge, settings):
    job = _job(tenant_a, badge, settings, rows=8)
    with _told_of_finished_jobs() as told:
        results = _together(tenant_a, job, [lambda: bulk_chunk_record(job_id=job.pk, number=0),
                                            lambda: bulk_chunk_record(job_id=job.pk, number=1)], waiting=2)
    assert results == [True, True]
    assert told.calls == [{"tenant_id": tenant_a.pk, "job_id": job.pk}]
    with tenant_scope(tenant_a):
        job.refresh_from_db()
        assert (job.status, job.cursor, job.issued) == ("done", 8, 8)


def test_chunks_recorded_at_once_do_not_together_pass_the_colleges_monthly_limit(tenant_a, badge, settings):
    job = _job(tenant_a, badge, settings, rows=10)
    tenant_set_limits(tenant=tenant_a, badges_per_month=6, learners_per_year=None)  # lowered after the preview
    # The first chunk holds the college's row from its limit check to its commit (it waits for the job's
    # row); the second waits for the college's row, then counts the first's awards.
    _together(tenant_a, job, [lambda: bulk_chunk_record(job_id=job.pk, number=0),
                              lambda: bulk_chunk_record(job_id=job.pk, number=1)], waiting=2)
    with tenant_scope(tenant_a):
        bulk_chunk_record(job_id=job.pk, number=2)
        job.refresh_from_db()
        assert (job.status, job.issued, job.failed) == ("done", 6, 4)
        assert Assertion.objects.count() == 6
        assert all("limit of 6 badges a month" in e["error"] for e in job.errors)
