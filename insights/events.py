"""Counting what learners and employers do with a badge, without slowing the page that counts it.

The page enqueues one small task; the worker adds it to the day's counter. If the broker is down
the count is dropped (and logged): a statistic is never worth failing or delaying a page for.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from insights.models import DailyCount

logger = logging.getLogger(__name__)


def event_count(*, kind: str, tenant_id: int, badge_class_id: int) -> None:
    """Call from a page: counts one ``kind`` event for the badge class, in the background."""
    from insights.tasks import count_event

    if kind not in DailyCount.Kind.values:
        raise ValueError(f"Unknown event kind {kind!r}")
    try:
        count_event.apply_async(kwargs={"tenant_id": tenant_id, "badge_class_id": badge_class_id, "kind": kind,
                                        "day": timezone.localdate().isoformat()}, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: see the module docstring
        logger.warning("Could not enqueue a %s count (broker unavailable?)", kind, exc_info=True)


def daily_count_add(*, tenant_id: int, badge_class_id: int, kind: str, day: str, n: int = 1) -> None:
    """Add ``n`` to the day's counter: an UPDATE, or the first INSERT of the day (raced safely)."""
    rows = DailyCount.objects.filter(badge_class_id=badge_class_id, day=day, kind=kind)
    if rows.update(count=F("count") + n):
        return
    try:
        with transaction.atomic():
            DailyCount.objects.create(tenant_id=tenant_id, badge_class_id=badge_class_id, day=day, kind=kind, count=n)
    except IntegrityError:  # another worker inserted it first
        rows.update(count=F("count") + n)
