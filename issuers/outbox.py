"""Emails that carry a one-time link: staff invitations here, endorsement requests in a higher layer.

Only a hash of a link's secret token is stored, so a link that never went out cannot be sent later:
the sweep and the admin's Resend issue a new token instead (the old link stops working, and nobody
holds it). Each row records its email (``LinkEmail``): ``pending`` until a task claims it with a
compare-and-swap (``pending → sending``), then ``sent`` or ``failed`` with the mail server's reason,
which the admin sees beside a Resend button. A task only sends if its token is still the row's, so a
task queued before a newer link was issued does nothing. A broker that is down leaves the row
``pending`` for the sweep; a mail server that is down or says "try later" is retried with backoff.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone

from issuers.models import EmailStatus, LinkEmail
from issuers.registry import Registry
from issuers.selectors import hash_secret

logger = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 30


@dataclass(frozen=True)
class LinkEmailKind:
    """A model whose rows carry a link email, and how to queue the send of one: ``queue(row, token)``."""

    model: type[LinkEmail]
    queue: Callable[[Any, str], None]


# Filled in by each app's AppConfig.ready(): the sweep (issuers.tasks) walks them without importing
# the layers above.
LINK_EMAIL_KINDS: Registry[LinkEmailKind] = Registry("models whose rows carry a link email")


def link_email_register(model: type[LinkEmail], queue: Callable[[Any, str], None]) -> None:
    if all(kind.model is not model for kind in LINK_EMAIL_KINDS):
        LINK_EMAIL_KINDS.register(LinkEmailKind(model=model, queue=queue))


def link_token_new() -> tuple[str, str]:
    """A new secret token for a link, and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_secret(token)


def _manager(model: type[LinkEmail]) -> models.Manager[Any]:
    """``model.objects``, typed loosely: the lookups here name fields that every concrete link email adds
    (``token_hash``, ``accepted_at``, ``revoked_at``, ``expires_at``), which the abstract ``LinkEmail`` lacks."""
    return model._default_manager


def link_email_renew(row: LinkEmail, **changes: Any) -> str:
    """Give ``row`` a new link (the old one stops working) and mark its email to be sent again.
    Returns the new token; ``changes`` (e.g. a new ``expires_at``) are saved with it."""
    token, token_hash = link_token_new()
    fields = {"token_hash": token_hash, "email_status": EmailStatus.PENDING, "email_error": "",
              "email_sent_at": None, "updated_at": timezone.now(), **changes}
    _manager(type(row)).filter(pk=row.pk).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)
    return token


def enqueue(task: Task, **kwargs: Any) -> None:
    """``task.delay(...)`` that never raises: with the broker down the row stays pending for the sweep."""
    try:
        task.delay(**kwargs)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep queues the email again from the database
        logger.warning("Broker unavailable: %s left for the link email sweep", task.name, exc_info=True)


def link_email_queue(row: LinkEmail, token: str) -> None:
    """Queue the send of ``row``'s email once the transaction commits, through the task its app registered
    (the one the sweep uses too)."""
    (kind,) = [kind for kind in LINK_EMAIL_KINDS if kind.model is type(row)]
    transaction.on_commit(lambda: kind.queue(row, token))


def link_email_resend(row: LinkEmail, *, expires_at: datetime) -> str:
    """A new link for ``row`` (the old one stops working), valid until ``expires_at``, and its email
    queued again. Returns the new token."""
    token = link_email_renew(row, expires_at=expires_at)
    link_email_queue(row, token)
    return token


def link_email_send(task: Task, *, model: type[LinkEmail], row_id: int, token: str,
                    message: Callable[[Any, str], EmailMessage]) -> str:
    """Send the row's email at most once, if ``token`` is still its link. Returns "sent", "failed" or
    "skipped" (already sent or being sent, replaced by a newer link, used, withdrawn or expired).
    A temporary failure puts the row back to ``pending`` and raises ``task.retry``."""
    live = _manager(model).filter(pk=row_id, token_hash=hash_secret(token), accepted_at=None, revoked_at=None,
                                  expires_at__gt=timezone.now())
    row = live.filter(email_status=EmailStatus.PENDING).first()
    if row is None:
        return "skipped"
    email = message(row, token)
    if not live.filter(email_status=EmailStatus.PENDING).update(email_status=EmailStatus.SENDING,
                                                                 updated_at=timezone.now()):
        return "skipped"  # another task claimed it first
    claimed = live.filter(email_status=EmailStatus.SENDING)
    try:
        email.send()
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        reason, temporary = _diagnose(exc)
        retries = task.request.retries or 0
        if temporary and retries < task.max_retries:
            # Dated at the retry, so the sweep does not start a second send (with a new link) meanwhile.
            delay = min(settings.TASK_MAX_COUNTDOWN, FIRST_RETRY_DELAY * 2 ** retries)
            claimed.update(email_status=EmailStatus.PENDING, email_error=reason[:500],
                           updated_at=timezone.now() + timedelta(seconds=delay))
            raise task.retry(countdown=delay) from exc
        if temporary:
            reason = f"{reason} Gave up after {retries + 1} tries."
        logger.warning("%s %s: email to %s failed: %s", model.__name__, row.public_id, row.email, reason)
        claimed.update(email_status=EmailStatus.FAILED, email_error=reason[:500], updated_at=timezone.now())
        return "failed"
    now = timezone.now()
    claimed.update(email_status=EmailStatus.SENT, email_sent_at=now, email_error="", updated_at=now)
    return "sent"


def _diagnose(exc: BaseException) -> tuple[str, bool]:
    """What to tell the admin, and whether trying again later may help (SMTP 4xx, no connection)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        refused = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        return f"The mail server refused the address: {refused}", bool(codes) and min(codes) < 500
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code >= 500:
            return f"The mail server refused it: {exc.smtp_code} {_text(exc.smtp_error)}", False
        return f"The mail server said to try later: {exc.smtp_code} {_text(exc.smtp_error)}", True
    if isinstance(exc, ValueError):  # an address or header Python cannot write
        return f"The email could not be written: {exc}", False
    # Not connected, or the connection broke. If it broke mid-message the email may have arrived; sending
    # the same link again is then a harmless duplicate, better than a lost invitation.
    return f"The mail server could not be reached: {_text(exc) or type(exc).__name__}", True


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return str(value)[:300]


def link_emails_sweep_kind(kind: LinkEmailKind) -> dict[str, int]:
    """Give a new link to, and queue again, the pending emails no task took (broker down, message lost);
    mark as failed the ones whose worker died while sending (they may have arrived: the admin decides).
    Call with tenant scoping off; each send task runs in its tenant's scope."""
    model, now = kind.model, timezone.now()
    live = _manager(model).filter(accepted_at=None, revoked_at=None, expires_at__gt=now)
    counts = {"requeued": 0, "failed": 0}
    counts["failed"] = live.filter(
        email_status=EmailStatus.SENDING, updated_at__lt=now - timedelta(seconds=settings.EMAIL_SENDING_TIMEOUT),
    ).update(email_status=EmailStatus.FAILED, updated_at=now,
             email_error="The worker stopped while sending: the email may or may not have arrived.")
    stuck = live.filter(email_status=EmailStatus.PENDING,
                        updated_at__lt=now - timedelta(seconds=settings.PIPELINE_STUCK_AFTER))
    for row in stuck.order_by("pk")[:1000]:
        token, token_hash = link_token_new()
        # Compare-and-swap on updated_at: a concurrent sweep or Resend that got there first wins.
        if _manager(model).filter(pk=row.pk, email_status=EmailStatus.PENDING, updated_at=row.updated_at).update(
                token_hash=token_hash, updated_at=now):
            kind.queue(row, token)
            counts["requeued"] += 1
    return counts
