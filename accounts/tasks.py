"""The worker's side of account emails: see ``accounts.adapter``."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives

logger = logging.getLogger(__name__)


def permanent(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def as_data(message: EmailMessage) -> dict[str, Any]:
    return {"subject": message.subject, "body": message.body, "from_email": message.from_email, "to": message.to,
            "headers": message.extra_headers,
            "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])]}


@shared_task(bind=True, acks_late=True, max_retries=10)
def send_account_email(self: Task, *, message: dict[str, Any]) -> None:
    email = EmailMultiAlternatives(subject=message["subject"], body=message["body"], from_email=message["from_email"],
                                   to=message["to"], headers=message["headers"])
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        if permanent(exc) or self.request.retries >= self.max_retries:
            logger.error("Account email to %s not sent: %s", message["to"], exc)
            return
        raise self.retry(countdown=min(settings.TASK_MAX_COUNTDOWN, 10 * 2 ** self.request.retries)) from exc
