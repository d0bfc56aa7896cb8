"""The endorsement request email, written when the outbox sends it (see ``issuers.outbox``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from endorsements.models import EndorsementRequest
from endorsements.services import endorsement_request_url


def endorsement_request_message(request: EndorsementRequest, token: str) -> EmailMessage:
    context = {"request": request, "url": endorsement_request_url(token), "tenant": request.tenant,
               "badge": request.badge_class}
    return EmailMessage(
        subject=f"{request.tenant.name} asks you to endorse the badge {request.badge_class.name}",
        body=render_to_string("endorsements/email/request.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
    )
