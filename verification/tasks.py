"""Record verifications in the background. Counting never slows or breaks verification itself."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

from celery import shared_task
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from issuers.metrics import VERIFICATIONS
from verification.events import VERIFIED
from verification.models import VerificationEvent
from verification.visitors import viewer_id, visitor_day, visitor_hash

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def verification_record(*, assertion_public_id: str | None, verdict: str, source: str, visitor: str = "",
                        day: str | None = None, viewer: int | None = None) -> None:
    """Write one VerificationEvent. A plain task (not TenantTask): most verified badges are foreign.

    One of our badges counts once per ``visitor`` per ``day`` (a second verification is not recorded,
    so a re-delivered task does not count twice either), and not at all when the ``viewer`` is the
    learner it was awarded to.
    """
    from allauth.account.models import EmailAddress

    from assertions.models import Assertion
    from issuers.scoping import unscoped

    if verdict not in VerificationEvent.Verdict.values or source not in VerificationEvent.Source.values:
        raise ValueError(f"Unknown verdict or source: {verdict!r}, {source!r}")
    with unscoped("recording an anonymous verification count, for our own badges and foreign ones"):
        ours = None
        if assertion_public_id:
            ours = Assertion.objects.filter(public_id=UUID(assertion_public_id)).values_list(
                "tenant_id", "claimed_by_id", "recipient_identity").first()
        if ours is None:
            VerificationEvent.objects.create(verdict=verdict, source=source)
            return
        tenant_id, claimed_by, identity = ours
        if viewer is not None and (claimed_by == viewer or EmailAddress.objects.filter(
                user_id=viewer, email__iexact=identity, verified=True).exists()):
            return  # the learner checking their own badge
        try:
            with transaction.atomic():
                event = VerificationEvent.objects.create(
                    tenant_id=tenant_id, assertion_public_id=assertion_public_id, verdict=verdict, source=source,
                    visitor=visitor, day=date.fromisoformat(day) if day else None)
                for listener in VERIFIED:
                    listener(event)
        except IntegrityError:
            return  # this visitor already verified this badge today


def record_verification(*, assertion_public_id: UUID | None, verdict: str, source: str,
                        request: HttpRequest | None = None) -> None:
    """Enqueue the record; if the broker is down, log and carry on: the verification still answers.
    With the ``request``, the visitor (a keyed hash, see ``verification.visitors``) and the signed-in
    user go along, so the count is once per visitor per day and never the learner's own."""
    VERIFICATIONS.labels(verdict=verdict, source=source).inc()
    visit: dict[str, Any] = {}
    if request is not None:
        day = visitor_day()
        visit = {"visitor": visitor_hash(request, day), "day": day.isoformat(), "viewer": viewer_id(request)}
    try:
        verification_record.apply_async(
            kwargs={"assertion_public_id": str(assertion_public_id) if assertion_public_id else None,
                    "verdict": verdict, "source": source, **visit},
            retry=False,
        )
    except Exception:  # noqa: BLE001 -- any broker/transport failure; counting is best-effort by design
        logger.warning("could not enqueue a verification record (broker unavailable?)", exc_info=True)
