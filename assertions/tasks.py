"""Background work on assertions: bake the image, then email the learner; run bulk jobs; sweep.

Every task takes ids, is idempotent and acknowledged late (see ``TenantTask``). A task handles
many assertions (a Celery task costs about a millisecond, a bake a few microseconds). Emails go
through the outbox (``issuers.outbox``), which sends each at most once, over one connection per task.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assertions.bulk import bulk_chunk_record, bulk_job_chunks
from assertions.events import ANNOUNCED
from assertions.models import Announcement, Assertion, BulkJob
from assertions.pipeline import bake_pending
from assertions.services import announcement_forget, announcement_publish
from issuers.models import OutboxEmail
from issuers.outbox import MailUnavailable, emails_send
from issuers.scoping import unscoped
from issuers.tasks import ACTOR_KWARG, PeriodicTask, TenantTask

logger = logging.getLogger(__name__)


def pipeline_enqueue(*, tenant_id: int, assertion_ids: Sequence[int]) -> None:
    """Queue bake-then-email for these assertions, many per task. More than one task's worth goes on
    the bulk queue, which workers take from in turn with the default one, so a cohort never holds up
    a single award. If the broker is down the work is not lost: the rows say what is pending and the
    periodic sweep queues them again. (The services reach this through ``assertions.queue``.)"""
    size = settings.PIPELINE_BATCH_SIZE
    queue = settings.BULK_QUEUE if len(assertion_ids) > size else None
    for start in range(0, len(assertion_ids), size):
        try:
            process_assertions.apply_async(
                kwargs={"tenant_id": tenant_id, "assertion_ids": list(assertion_ids[start:start + size])}, queue=queue)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep re-enqueues from the database
            logger.warning("Broker unavailable: %d assertions left for the sweep", len(assertion_ids) - start,
                           exc_info=True)
            return


def follow_up_enqueue(*, tenant_id: int, assertion_ids: Sequence[int], announcement_id: int) -> None:
    """Queue an issued batch's follow-up work as one message (``award_follow_up``): a web request pays
    for one publish instead of one per task. A cohort's batch goes on the bulk queue. If the broker is
    down nothing is lost: the awards are pending and the announcement is kept, and the sweep queues both."""
    queue = settings.BULK_QUEUE if len(assertion_ids) > settings.PIPELINE_BATCH_SIZE else None
    try:
        award_follow_up.apply_async(kwargs={"tenant_id": tenant_id, "assertion_ids": list(assertion_ids),
                                            "announcement_id": announcement_id}, queue=queue)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep re-enqueues from the database
        logger.warning("Broker unavailable: %d assertions and their announcement left for the sweep",
                       len(assertion_ids), exc_info=True)


class FanOutTask(TenantTask):
    """A task that only queues other tasks: it runs without entering the tenant's context, so it needs no
    database (a worker whose database is down still hands the work on, and each task retries on its own),
    and passes the actor and request id of its message on to the tasks it queues."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.run(*args, **kwargs)


@shared_task(base=FanOutTask, bind=True)
def award_follow_up(self: Task, *, tenant_id: int, assertion_ids: list[int], announcement_id: int,
                    acting_as: dict[str, Any] | None = None) -> None:
    """Fan an issued batch's follow-up out in the worker: queue its bake-then-email and the tasks told of
    "issued" (``ANNOUNCED``), then forget the announcement. Run twice (a redelivery), it queues them
    twice, which they bear: only pending work is done. If the broker or the database fails here, the
    pending awards and the kept announcement are the sweep's."""
    actor = {ACTOR_KWARG: acting_as} if acting_as is not None else {}
    size = settings.PIPELINE_BATCH_SIZE
    queue = settings.BULK_QUEUE if len(assertion_ids) > size else None
    try:
        for start in range(0, len(assertion_ids), size):
            process_assertions.apply_async(kwargs={"tenant_id": tenant_id, **actor,
                                                   "assertion_ids": assertion_ids[start:start + size]}, queue=queue)
        for task in ANNOUNCED["issued"]:
            task.apply_async(kwargs={"tenant_id": tenant_id, "assertion_ids": assertion_ids, **actor})
    except Exception:  # noqa: BLE001 - broker down: the rows stay for the sweep
        logger.warning("Broker unavailable: the follow-up of %d awards left for the sweep", len(assertion_ids),
                       exc_info=True)
        return
    announcement_forget(tenant_id=tenant_id, announcement_id=announcement_id)


@shared_task(base=TenantTask, bind=True, max_retries=8)
def process_assertions(self: Task, *, tenant_id: int, assertion_ids: list[int]) -> None:
    """Bake, then email, a batch of assertions. Safe to run twice on the same ids: only pending work is
    done, and the outbox sends each email at most once (see ``issuers.outbox``). A mail server that is
    down or says "try later" retries the task with backoff; the emails wait queued, already baked."""
    bake_pending(assertion_ids)
    mails = list(Assertion.objects.filter(pk__in=assertion_ids, revoked=False, mail__status=OutboxEmail.Status.QUEUED)
                 .exclude(bake_status=Assertion.BakeStatus.PENDING).order_by("pk").values_list("mail_id", flat=True))
    retries = self.request.retries or 0
    try:
        emails_send([str(pk) for pk in mails], tries=retries + 1, last_try=retries >= (self.max_retries or 0),
                    check_ready=False)  # just baked, not revoked
    except MailUnavailable as exc:
        raise self.retry(countdown=exc.delay) from exc


@shared_task(base=TenantTask, bind=True)
def run_bulk_job(self: Task, *, tenant_id: int, job_id: int) -> None:
    """Start (or resume) a bulk job: one task per chunk not yet recorded, on the recording queue, which the
    worker's pool processes take in parallel and before any bake or email (``badgeplatform.queues``). If the
    broker fails part way, the sweep runs this again; a chunk queued twice is recorded once."""
    job = BulkJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    for number in bulk_job_chunks(job=job):
        try:
            record_bulk_chunk.apply_async(kwargs={"tenant_id": tenant_id, "job_id": job_id, "number": number},
                                          queue=settings.BULK_RECORD_QUEUE)
        except Exception:  # noqa: BLE001 - broker down: the sweep starts the job again
            logger.warning("Broker unavailable: chunks of bulk job %s left for the sweep", job_id, exc_info=True)
            return


@shared_task(base=TenantTask, bind=True)
def record_bulk_chunk(self: Task, *, tenant_id: int, job_id: int, number: int) -> None:
    """Record one chunk of a bulk job (``assertions.bulk.bulk_chunk_record``): once, however often it runs."""
    bulk_chunk_record(job_id=job_id, number=number)


@shared_task(base=PeriodicTask, bind=True)
def pipeline_sweep(self: Task) -> dict[str, int]:
    """Periodic (Celery beat): enqueue again the bakes (then emails) and bulk jobs no worker took (broker
    down, worker killed), and queue the award events the layers above were not told of. Emails of awards
    already baked are the outbox sweep's (``issuers.outbox``)."""
    now = timezone.now()
    stuck_before = now - timedelta(seconds=settings.PIPELINE_STUCK_AFTER)
    counts = {"requeued": 0, "jobs": 0, "announced": 0}
    with unscoped("pipeline sweep: finds stuck work of every tenant, then enqueues it per tenant"):
        pending = Assertion.objects.filter(revoked=False, updated_at__lt=stuck_before,
                                           bake_status=Assertion.BakeStatus.PENDING)
        by_tenant: dict[int, list[int]] = {}
        with transaction.atomic():
            for tenant_id, pk in _unlocked(pending).values_list("tenant_id", "pk")[:50000]:
                by_tenant.setdefault(tenant_id, []).append(pk)
            for ids in by_tenant.values():
                for part in _parts(ids):
                    Assertion.objects.filter(pk__in=part).update(updated_at=now)  # not again until the next period
        for tenant_id, ids in by_tenant.items():
            for part in _parts(ids):
                pipeline_enqueue(tenant_id=tenant_id, assertion_ids=part)
            counts["requeued"] += len(ids)
        jobs = list(BulkJob.objects.filter(status__in=[BulkJob.Status.QUEUED, BulkJob.Status.RUNNING],
                                           updated_at__lt=stuck_before).values_list("tenant_id", "pk"))
        for tenant_id, pk in jobs:
            BulkJob.objects.filter(pk=pk).update(updated_at=now)
            bulk_job_enqueue(tenant_id=tenant_id, job_id=pk)
        counts["jobs"] = len(jobs)
        # Award events whose tasks were never queued (broker down, or the process died after the commit).
        for announcement in Announcement.objects.filter(created_at__lt=stuck_before).order_by("pk")[:1000]:
            if not announcement_publish(announcement=announcement):
                break  # the broker is still down: the next sweep tries again
            counts["announced"] += 1
    return counts


def _unlocked(rows: QuerySet[Assertion]) -> QuerySet[Assertion]:
    """The rows no transaction holds, in one order. A row a worker is baking or sending right now is not
    stuck; waiting for its lock while holding others (in another order) is how two sweeps, or a sweep
    and a worker, deadlock."""
    rows = rows.order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return rows


def _parts(ids: list[int], size: int = 1000) -> list[list[int]]:
    """Bounded IN lists (SQLite limits query parameters)."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def bulk_job_enqueue(*, tenant_id: int, job_id: int) -> None:
    try:
        run_bulk_job.apply_async(kwargs={"tenant_id": tenant_id, "job_id": job_id}, queue=settings.BULK_RECORD_QUEUE)
    except Exception:  # noqa: BLE001 - broker down: the sweep enqueues the job again
        logger.warning("Broker unavailable: bulk job %s left for the sweep", job_id, exc_info=True)
