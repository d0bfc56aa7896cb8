"""Celery plumbing for tenant-owned work, and the staff invitation email."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from issuers.models import Invitation, Tenant
from issuers.scoping import tenant_scope


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
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_scope(tenant):
            return super().__call__(*args, **kwargs)


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=1800,
             max_retries=8)
def send_invitation_email(self: Task, *, tenant_id: int, invitation_id: int, url: str) -> None:
    invitation = Invitation.objects.select_related("tenant", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_usable:
        return
    context = {"invitation": invitation, "url": url, "tenant": invitation.tenant}
    send_mail(
        subject=f"You're invited to issue badges for {invitation.tenant.name}",
        message=render_to_string("issuers/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
