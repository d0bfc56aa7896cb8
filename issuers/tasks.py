"""Celery plumbing for tenant-owned work, and the outbox's tasks: send, and the sweep (beat)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError
from django.template.loader import render_to_string

from issuers.audit import audit_entries_prune
from issuers.context import Actor, current_actor, current_request_id, request_id_bound, tenant_context
from issuers.models import Invitation, PeriodicRun, Tenant
from issuers.outbox import MailUnavailable, emails_send, emails_sweep
from issuers.scoping import tenant_scope
from issuers.services import invitation_url

# A lost or refused database connection (a restart, a failover) mends itself. Tasks whose work must not
# wait for a nightly reconcile retry it with backoff, capped like every countdown (TASK_MAX_COUNTDOWN):
# @shared_task(base=TenantTask, **DATABASE_RETRY). With the defaults that is about 50 minutes of outage.
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE_RETRY: dict[str, Any] = {
    "autoretry_for": DATABASE_DOWN, "retry_backoff": 10, "retry_backoff_max": settings.TASK_MAX_COUNTDOWN,
    "max_retries": 10,
}
ACTOR_KWARG = "acting_as"
REQUEST_ID_KEY = "request_id"  # beside the actor's ids: the request that queued the task, for its logs


class TenantTask(Task):
    """Every tenant-owned task takes ``tenant_id`` and runs in that tenant's context
    (``issuers.context``: scope, time zone, actor), with the actor of the context that enqueued it:
    queuing adds it to the message (ids only) and the worker enters the same context again.

    Tasks are acknowledged late and re-queued when their worker dies (see settings), so each one
    must be idempotent.
    """

    acks_late = True
    reject_on_worker_lost = True
    # Celery's own check of the arguments against the task's signature would refuse the actor's
    # kwarg; apply_async makes the same check without it.
    typing = False

    def apply_async(self, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        header = getattr(self, "__header__", None)
        if header is not None:
            header(*(args or ()), **{k: v for k, v in (kwargs or {}).items() if k != ACTOR_KWARG})
        kwargs = _with_actor(kwargs)
        # What the message shows of its kwargs (logs, monitoring): Celery's own safe repr of a batch of
        # ids cost more than the rest of sending the message.
        options.setdefault("kwargsrepr", _brief(kwargs))
        return super().apply_async(args, kwargs, *rest, **options)

    def apply(self, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        return super().apply(args, _with_actor(kwargs), *rest, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        actor_ids = kwargs.pop(ACTOR_KWARG, None)
        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TypeError(f"{self.name} must be called with tenant_id=...")
        try:
            tenant = Tenant.objects.get(pk=tenant_id)
        except DATABASE_DOWN as exc:
            # Celery's autoretry_for covers run(), not this lookup before it: a task that retries while
            # the database is down (DATABASE_RETRY) retries here the same way.
            if not isinstance(exc, tuple(getattr(self, "autoretry_for", ()))):
                raise
            raise self.retry(exc=exc, countdown=get_exponential_backoff_interval(
                factor=int(self.retry_backoff), retries=self.request.retries, maximum=self.retry_backoff_max,
                full_jitter=getattr(self, "retry_jitter", True))) from exc
        with tenant_scope(tenant):  # an API key is a tenant-owned row
            actor = Actor.from_message(actor_ids)
        # For the task's log line, written once it has finished (badgeplatform.observability).
        self.request.tenant_slug = tenant.slug
        self.request.origin_request_id = request_id = str((actor_ids or {}).get(REQUEST_ID_KEY) or "")
        with request_id_bound(request_id), tenant_context(tenant, actor):
            return super().__call__(*args, **kwargs)


def _brief(kwargs: dict[str, Any]) -> str:
    """The kwargs' repr with each long list cut to its first few items and its length, each long dict to
    its length."""
    shown = {}
    for key, value in kwargs.items():
        if isinstance(value, list | tuple) and len(value) > 5:
            shown[key] = f"[{', '.join(map(repr, value[:3]))}, ... {len(value)} in all]"
        elif isinstance(value, dict) and len(value) > 5:
            shown[key] = f"{{... {len(value)} items}}"
        else:
            shown[key] = repr(value)
    return "{" + ", ".join(f"{key!r}: {value}" for key, value in shown.items()) + "}"


def _with_actor(kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """The task's kwargs with the current context's actor (and request id), unless they already name one."""
    kwargs = dict(kwargs or {})
    message = current_actor().as_message()
    if request_id := current_request_id():
        message[REQUEST_ID_KEY] = request_id
    kwargs.setdefault(ACTOR_KWARG, message)
    return kwargs


class PeriodicTask(Task):
    """The base class of every beat task: each run's start, end and outcome are kept (``PeriodicRun``, one
    row per task), so the platform's health page shows when each last ran and whether it worked."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from django.utils import timezone

        PeriodicRun.objects.update_or_create(task=self.name, defaults={
            "started_at": timezone.now(), "finished_at": None, "succeeded": None, "error": ""})
        try:
            result = super().__call__(*args, **kwargs)
        except Exception as exc:
            PeriodicRun.objects.filter(task=self.name).update(
                finished_at=timezone.now(), succeeded=False, error=f"{type(exc).__name__}: {exc}"[:500])
            raise
        PeriodicRun.objects.filter(task=self.name).update(finished_at=timezone.now(), succeeded=True)
        return result


def _send(task: Task, email_ids: list[str], secrets: dict[str, str] | None) -> dict[str, int]:
    retries = task.request.retries or 0
    try:
        return emails_send(email_ids, secrets=secrets, tries=retries + 1, last_try=retries >= (task.max_retries or 0))
    except MailUnavailable as exc:
        raise task.retry(countdown=exc.delay) from exc


@shared_task(base=TenantTask, bind=True, max_retries=8)
def emails_send_tenant(self: Task, *, tenant_id: int, email_ids: list[str],
                       secrets: dict[str, str] | None = None) -> dict[str, int]:
    """Send a tenant's queued emails (see ``issuers.outbox``); temporary failures retry with backoff."""
    return _send(self, email_ids, secrets)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def emails_send_platform(self: Task, *, email_ids: list[str], secrets: dict[str, str] | None = None) -> dict[str, int]:
    """Send emails that belong to no tenant (account emails); otherwise as ``emails_send_tenant``."""
    return _send(self, email_ids, secrets)


@shared_task(base=PeriodicTask, bind=True)
def outbox_sweep(self: Task) -> dict[str, int]:
    """Periodic (Celery beat): see ``issuers.outbox.emails_sweep``."""
    return emails_sweep()


@shared_task(base=PeriodicTask, acks_late=True)
def audit_prune() -> int:
    """Periodic (beat, daily): entries older than AUDIT_RETENTION_DAYS go, in batches."""
    return audit_entries_prune()


def invitation_message(invitation: Invitation, token: str) -> EmailMessage:
    context = {"invitation": invitation, "url": invitation_url(token), "tenant": invitation.tenant}
    return EmailMessage(
        subject=f"You're invited to issue badges for {invitation.tenant.name}",
        body=render_to_string("issuers/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
