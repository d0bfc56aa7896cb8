"""Periodic learner work: expiry reminders (once per award) and re-checking imported badges."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assertions.models import Assertion
from backpack.models import ExpiryReminder, ImportedBadge
from backpack.services import imported_recheck
from issuers.dates import shown_day
from issuers.outbox import email_queue
from issuers.scoping import unscoped
from issuers.tasks import PeriodicTask

logger = logging.getLogger(__name__)
RECHECK_AFTER = timedelta(days=7)
RECHECK_BATCH = 200
# Reminders are read and sent this many at a time, batch after batch until none is due, up to
# REMINDERS_PER_RUN (the rest wait for the next run, six hours on): one run must not stop at a fixed
# number, as a platform of many colleges can have more awards expiring within a month than that.
REMINDER_BATCH = 1000
REMINDERS_PER_RUN = 100_000


def _due_reminders() -> list[Assertion]:
    """The live awards expiring within the window and not yet reminded: read from the partial index of
    expiring awards, each looked up once in the reminders' unique index (NOT EXISTS), so the beat costs
    what expires soon, not every award and every reminder ever sent (a NOT IN list of them)."""
    now = timezone.now()
    horizon = now + timedelta(days=settings.EXPIRY_REMINDER_DAYS)
    with unscoped("expiry reminders: awards of every college that expire soon, each reminded once"):
        return list(Assertion.objects.filter(
            revoked=False, recipient_type=Assertion.RecipientType.EMAIL, expires__gt=now, expires__lte=horizon,
        ).exclude(Exists(ExpiryReminder.objects.filter(assertion_id=OuterRef("pk"))))
         .select_related("badge_class__issuer", "tenant")[:REMINDER_BATCH])


def expiry_reminder_send(assertion: Assertion) -> bool:
    """Record the reminder (unique per award) with its message in the outbox, which sends it once the
    transaction commits: never twice, even with two beats; retried if the mail server is down."""
    badge = assertion.badge_class
    context = {"assertion": assertion, "badge": badge, "issuer": badge.issuer, "tenant": assertion.tenant,
               "learner_name": assertion.recipient_name or "there",
               "backpack_url": settings.PUBLIC_BASE_URL + reverse("backpack:home")}
    message = EmailMessage(
        subject=f"Your badge “{badge.name}” expires on {shown_day(assertion.expires, assertion.tenant.zone)}",
        body=render_to_string("backpack/email/expiry_reminder.txt", context),
        to=[assertion.recipient_identity])
    try:
        with transaction.atomic():
            reminder = ExpiryReminder.objects.create(assertion=assertion)
            reminder.mail = email_queue(kind=ExpiryReminder.EMAIL_KIND, to=assertion.recipient_identity,
                                        tenant=assertion.tenant, message=message)
            reminder.save(update_fields=["mail"])
    except IntegrityError:
        return False
    return True


@shared_task(base=PeriodicTask, acks_late=True)
def expiry_reminders_send() -> int:
    sent = 0
    while sent < REMINDERS_PER_RUN:
        due = _due_reminders()
        done = sum(expiry_reminder_send(a) for a in due)
        sent += done
        if len(due) < REMINDER_BATCH or not done:  # none left, or another run is sending the same ones
            break
    return sent


@shared_task(base=PeriodicTask, acks_late=True)
def imported_badges_recheck() -> int:
    """Re-verify imports not checked for a week: revocations and expiry show in the backpack."""
    stale = ImportedBadge.objects.filter(checked_at__lt=timezone.now() - RECHECK_AFTER).order_by("checked_at")
    done = 0
    for imported in stale[:RECHECK_BATCH]:
        imported_recheck(imported=imported)
        done += 1
    return done
