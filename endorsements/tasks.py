"""The endorsement request email."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from endorsements.models import EndorsementRequest
from issuers.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600,
             max_retries=8)
def send_endorsement_request(self: Task, *, tenant_id: int, request_id: int, url: str) -> None:
    request = EndorsementRequest.objects.select_related("tenant", "badge_class", "invited_by").filter(
        pk=request_id).first()
    if request is None or not request.is_usable:
        return
    context = {"request": request, "url": url, "tenant": request.tenant, "badge": request.badge_class}
    send_mail(
        subject=f"{request.tenant.name} asks you to endorse the badge {request.badge_class.name}",
        message=render_to_string("endorsements/email/request.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[request.email],
    )
