"""Webhook work in the worker: record the events assertions announces, send deliveries, sweep (beat).

Every task here runs on the webhooks queue (settings ``CELERY_TASK_ROUTES``), which a worker takes from only
when the pipeline's queues are empty (badgeplatform.queues): recording and sending events never competes
with baking and emailing."""

from __future__ import annotations

from celery import Task, shared_task

from assertions.models import Assertion, BulkJob
from issuers.tasks import DATABASE_RETRY, PeriodicTask, TenantTask
from webhooks import services
from webhooks.models import EventType, WebhookEndpoint


# Told by assertions (assertions.events.ANNOUNCED): one bulk insert of deliveries per batch of awards.
@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def awards_issued(self: Task, *, tenant_id: int, assertion_ids: list[int]) -> int:
    return services.awards_issued(assertion_ids=assertion_ids)


@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def award_revoked(self: Task, *, tenant_id: int, assertion_id: int) -> int:
    assertion = Assertion.objects.filter(pk=assertion_id).first()
    return 0 if assertion is None else services.award_event(assertion=assertion, event_type=EventType.AWARD_REVOKED)


@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def bulk_job_finished(self: Task, *, tenant_id: int, job_id: int) -> int:
    job = BulkJob.objects.select_related("badge_class").filter(pk=job_id).first()
    return 0 if job is None else services.bulk_job_finished(job=job)


# Told by the email task (webhooks.services.award_emails_done), which only hands the chunk's outcomes over.
@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def award_emails_record(self: Task, *, tenant_id: int, outcomes: dict[str, list[list[str]]]) -> int:
    return services.award_emails_record(outcomes=outcomes)


@shared_task(base=TenantTask, bind=True, **DATABASE_RETRY)
def webhook_deliveries_send(self: Task, *, tenant_id: int, endpoint_id: int) -> dict[str, int]:
    """Send one endpoint's due deliveries (see ``webhooks.services.deliveries_send``); retries with backoff
    are rows dated later, queued by the sweep, not countdowns (they reach 12 hours)."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        return {}
    counts = services.deliveries_send(endpoint=endpoint)
    if counts["more"]:
        services.deliveries_enqueue(tenant_id=tenant_id, endpoint_ids=[endpoint_id])
    return counts


@shared_task(base=PeriodicTask, bind=True)
def webhooks_sweep(self: Task) -> dict[str, int]:
    """Periodic (beat): see ``webhooks.services.webhooks_sweep``."""
    return services.webhooks_sweep()


@shared_task(base=PeriodicTask, bind=True)
def awards_expired_announce(self: Task) -> int:
    """Hourly (beat): awards that expired, as ``award.expired`` deliveries."""
    return services.awards_expired_record()
