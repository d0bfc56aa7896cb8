"""Celery plumbing for tenant-owned work, the staff invitation email and the sweep of link emails."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError
from django.template.loader import render_to_string

from issuers.models import Invitation, Tenant
from issuers.outbox import LINK_EMAIL_KINDS, enqueue, link_email_send, link_emails_sweep_kind
from issuers.scoping import tenant_scope, unscoped
from issuers.services import invitation_url

# A lost or refused database connection (a restart, a failover) mends itself. Tasks whose work must not
# wait for a nightly reconcile retry it with backoff, capped like every countdown (TASK_MAX_COUNTDOWN):
# @shared_task(base=TenantTask, **DATABASE_RETRY). With the defaults that is about 50 minutes of outage.
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE_RETRY: dict[str, Any] = {
    "autoretry_for": DATABASE_DOWN, "retry_backoff": 10, "retry_backoff_max": settings.TASK_MAX_COUNTDOWN,
    "max_retries": 10,
}


class TenantTask(Task):
    """Every tenant-owned task takes ``tenant_id`` and runs inside that tenant's scope.

    Tasks are acknowledged late and re-queued when their worker dies (see settings), so each one
    must be idempotent.
    """

    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
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
        with tenant_scope(tenant):
            return super().__call__(*args, **kwargs)


@shared_task(base=TenantTask, bind=True, max_retries=8)
def send_invitation_email(self: Task, *, tenant_id: int, invitation_id: int, token: str) -> str:
    """Send the invitation with the link for ``token``, at most once (see ``issuers.outbox``)."""
    return link_email_send(self, model=Invitation, row_id=invitation_id, token=token, message=invitation_message)


def invitation_message(invitation: Invitation, token: str) -> EmailMessage:
    context = {"invitation": invitation, "url": invitation_url(token), "tenant": invitation.tenant}
    return EmailMessage(
        subject=f"You're invited to issue badges for {invitation.tenant.name}",
        body=render_to_string("issuers/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )


def invitation_queue(invitation: Invitation, token: str) -> None:
    enqueue(send_invitation_email, tenant_id=invitation.tenant_id, invitation_id=invitation.pk, token=token)


@shared_task(bind=True)
def link_emails_sweep(self: Task) -> dict[str, int]:
    """Periodic (Celery beat): send the link emails (invitations, endorsement requests) that no task took,
    with a new link; mark as failed those whose worker died while sending."""
    counts = {"requeued": 0, "failed": 0}
    for kind in LINK_EMAIL_KINDS:
        with unscoped("link email sweep: finds unsent link emails of every tenant, each sent by its tenant's task"):
            found = link_emails_sweep_kind(kind)
        for key, value in found.items():
            counts[key] += value
    return counts
