"""The endorsement request email, sent at most once and retried (see ``issuers.outbox``)."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from endorsements.models import EndorsementRequest
from endorsements.services import endorsement_request_url
from issuers.outbox import enqueue, link_email_send
from issuers.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, max_retries=8)
def send_endorsement_request(self: Task, *, tenant_id: int, request_id: int, token: str) -> str:
    return link_email_send(self, model=EndorsementRequest, row_id=request_id, token=token,
                           message=endorsement_request_message)


def endorsement_request_message(request: EndorsementRequest, token: str) -> EmailMessage:
    context = {"request": request, "url": endorsement_request_url(token), "tenant": request.tenant,
               "badge": request.badge_class}
    return EmailMessage(
        subject=f"{request.tenant.name} asks you to endorse the badge {request.badge_class.name}",
        body=render_to_string("endorsements/email/request.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
    )


def endorsement_request_queue(request: EndorsementRequest, token: str) -> None:
    enqueue(send_endorsement_request, tenant_id=request.tenant_id, request_id=request.pk, token=token)
