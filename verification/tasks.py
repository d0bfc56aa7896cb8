"""Record verifications in the background. Counting never slows or breaks verification itself."""

from __future__ import annotations

import logging
from uuid import UUID

from celery import shared_task

from verification.models import VerificationEvent

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def verification_record(*, assertion_public_id: str | None, verdict: str, source: str) -> None:
    """Write one VerificationEvent. A plain task (not TenantTask): most verified badges are foreign.

    Idempotency: a re-delivered task may count one verification twice; these are statistics, and a
    duplicate is cheaper than a dedup key that would have to identify the verifier.
    """
    from assertions.models import Assertion
    from issuers.scoping import unscoped

    if verdict not in VerificationEvent.Verdict.values or source not in VerificationEvent.Source.values:
        raise ValueError(f"Unknown verdict or source: {verdict!r}, {source!r}")
    with unscoped("recording an anonymous verification count, for our own badges and foreign ones"):
        tenant_id = None
        if assertion_public_id:
            tenant_id = Assertion.objects.filter(public_id=UUID(assertion_public_id)).values_list(
                "tenant_id", flat=True).first()
        VerificationEvent.objects.create(tenant_id=tenant_id, assertion_public_id=assertion_public_id if tenant_id
                                         else None, verdict=verdict, source=source)


def record_verification(*, assertion_public_id: UUID | None, verdict: str, source: str) -> None:
    """Enqueue the record; if the broker is down, log and carry on: the verification still answers."""
    try:
        verification_record.apply_async(
            kwargs={"assertion_public_id": str(assertion_public_id) if assertion_public_id else None,
                    "verdict": verdict, "source": source},
            retry=False,
        )
    except Exception:  # noqa: BLE001 -- any broker/transport failure; counting is best-effort by design
        logger.warning("could not enqueue a verification record (broker unavailable?)", exc_info=True)
