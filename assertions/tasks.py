"""Background work on assertions: bake the image, then email the learner; run bulk jobs; sweep.

Every task takes ids, is idempotent and acknowledged late (see ``TenantTask``). A task handles
many assertions (a Celery task costs about a millisecond, a bake a few microseconds). Emails go
through the outbox (``issuers.outbox``), which sends each at most once, over one connection per task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assertions.models import Announcement, Assertion, BulkJob
from issuers.models import OutboxEmail
from issuers.outbox import MailUnavailable, emails_send
from issuers.scoping import unscoped
from issuers.tasks import TenantTask

logger = logging.getLogger(__name__)


def baked_payload(assertion: Assertion) -> str:
    """What goes inside the image: the hosted JSON, or the JWS of a signed badge."""
    from assertions.documents import assertion_document, serialize
    from assertions.signing import sign_compact

    doc = assertion_document(assertion)
    if assertion.verification_type == Assertion.Verification.SIGNED:
        assert assertion.signing_key is not None  # a signed assertion records the key that signs it
        return sign_compact(doc, assertion.signing_key)
    return serialize(doc).decode()


def assertion_bake(assertion: Assertion, *, source: bytes | None = None) -> bytes:
    """Bake (or re-bake) the assertion's image and store it, replacing any earlier file."""
    baked, name = _bake_and_store(assertion, source=source)
    Assertion.objects.filter(pk=assertion.pk).update(baked_image=name)
    return baked


def _bake_and_store(assertion: Assertion, *, source: bytes | None = None) -> tuple[bytes, str]:
    """Write the baked image to storage and return it with its stored name; the caller records the name.
    An earlier file is deleted once the transaction that records the new name commits."""
    from django.core.files.base import ContentFile

    from assertions.baking import bake_png, bake_svg
    from assertions.documents import public_url

    badge = assertion.badge_class
    if source is None:
        with badge.image.open("rb") as fh:
            source = fh.read()
    payload = baked_payload(assertion)
    if badge.image_type == "svg":
        signed = assertion.verification_type == Assertion.Verification.SIGNED
        baked = bake_svg(source, payload, verify_url=None if signed else public_url("assertions", assertion.public_id),
                         signed=signed)
    else:
        baked = bake_png(source, payload)
    old = assertion.baked_image.name if assertion.baked_image else ""
    assertion.baked_image.save(f"{assertion.public_id}.{badge.image_type}", ContentFile(baked), save=False)
    if old and old != assertion.baked_image.name:
        storage = assertion.baked_image.storage
        transaction.on_commit(lambda: storage.delete(old))  # only once the new name is committed
    assert assertion.baked_image.name is not None  # just saved under that name
    return baked, assertion.baked_image.name


def _bake_pending(ids: Sequence[int]) -> None:
    pending = (Assertion.objects.select_related("badge_class__issuer", "signing_key")
               .filter(pk__in=ids, bake_status=Assertion.BakeStatus.PENDING, revoked=False).order_by("pk"))
    sources: dict[int, bytes] = {}
    done: list[tuple[int, str]] = []
    failed: list[tuple[int, str]] = []
    # One transaction for the batch: a commit costs milliseconds (an fsync), a bake well under one.
    with transaction.atomic():
        _bake_each(pending, sources, done, failed)
        now = timezone.now()
        _record_baked(done, now)
        for pk, error in failed:
            Assertion.objects.filter(pk=pk).update(bake_status=Assertion.BakeStatus.FAILED, bake_error=error,
                                                   updated_at=now)


def _bake_each(pending: Iterable[Assertion], sources: dict[int, bytes], done: list[tuple[int, str]],
               failed: list[tuple[int, str]]) -> None:
    for assertion in pending:
        try:
            if assertion.badge_class_id not in sources:
                with assertion.badge_class.image.open("rb") as fh:
                    sources[assertion.badge_class_id] = fh.read()
            _, name = _bake_and_store(assertion, source=sources[assertion.badge_class_id])
            done.append((assertion.pk, name))
        except (OSError, ValueError) as exc:
            # A missing or broken badge image will not mend itself: record it where the tutor looks.
            logger.exception("Baking assertion %s failed", assertion.public_id)
            failed.append((assertion.pk, f"The badge image could not be baked: {exc}"[:500]))


def _record_baked(done: Sequence[tuple[int, str]], now: Any) -> None:
    """Each row's image name and status in one statement: a small UPDATE per row was half the cost of
    a bake, and the ORM's bulk_update builds a CASE per row. (UPDATE ... FROM: PostgreSQL, SQLite 3.33+.)"""
    if not done:
        return
    table = connection.ops.quote_name(Assertion._meta.db_table)
    for start in range(0, len(done), 400):  # SQLite allows 500 SELECTs in one UNION
        part = done[start:start + 400]
        rows = " UNION ALL ".join(["SELECT %s AS id, %s AS name"] * len(part))
        params: list[Any] = [Assertion.BakeStatus.DONE, now]
        for pk, name in part:
            params += [pk, name]
        with connection.cursor() as cursor:
            # Only the table name and placeholders are formatted in; the values are parameters.
            sql = (f"UPDATE {table} SET baked_image = v.name, bake_status = %s, bake_error = '', "  # noqa: S608
                   f"updated_at = %s FROM ({rows}) AS v WHERE {table}.id = v.id")
            cursor.execute(sql, params)


@shared_task(base=TenantTask, bind=True, max_retries=8)
def process_assertions(self: Task, *, tenant_id: int, assertion_ids: list[int]) -> None:
    """Bake, then email, a batch of assertions. Safe to run twice on the same ids: only pending work is
    done, and the outbox sends each email at most once (see ``issuers.outbox``). A mail server that is
    down or says "try later" retries the task with backoff; the emails wait queued, already baked."""
    _bake_pending(assertion_ids)
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
    from assertions.bulk import bulk_job_run

    job = BulkJob.objects.filter(pk=job_id).first()
    if job is not None:
        bulk_job_run(job=job)


@shared_task(bind=True)
def pipeline_sweep(self: Task) -> dict[str, int]:
    """Periodic (Celery beat): enqueue again the bakes (then emails) and bulk jobs no worker took (broker
    down, worker killed), and queue the award events the layers above were not told of. Emails of awards
    already baked are the outbox sweep's (``issuers.outbox``)."""
    from assertions.services import announcement_publish, pipeline_enqueue

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
        rows = rows.select_for_update(skip_locked=True)
    return rows


def _parts(ids: list[int], size: int = 1000) -> list[list[int]]:
    """Bounded IN lists (SQLite limits query parameters)."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def bulk_job_enqueue(*, tenant_id: int, job_id: int) -> None:
    try:
        run_bulk_job.apply_async(kwargs={"tenant_id": tenant_id, "job_id": job_id}, queue=settings.BULK_QUEUE)
    except Exception:  # noqa: BLE001 - broker down: the sweep enqueues the job again
        logger.warning("Broker unavailable: bulk job %s left for the sweep", job_id, exc_info=True)
