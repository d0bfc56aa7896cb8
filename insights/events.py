"""Counting what learners and employers do with a badge, without slowing the page that counts it.

The page enqueues one small task; the worker adds it to the day's counter. If the broker is down
the count is dropped (and logged): a statistic is never worth failing or delaying a page for.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from insights.models import DailyCount, VisitorMark
from verification.visitors import visitor_day, visitor_hash

logger = logging.getLogger(__name__)


def event_count(*, kind: str, tenant_id: int, badge_class_id: int, assertion_id: int | None = None,
                request: HttpRequest | None = None) -> None:
    """Call from a page: counts one ``kind`` event for the badge class, in the background. With the
    award and the ``request``, once per visitor per award per day (``verification.visitors``)."""
    from insights.tasks import count_event

    if kind not in DailyCount.Kind.values:
        raise ValueError(f"Unknown event kind {kind!r}")
    day = visitor_day()
    visit = {"assertion_id": assertion_id, "visitor": visitor_hash(request, day)} if (
        request is not None and assertion_id is not None) else {}
    try:
        count_event.apply_async(kwargs={"tenant_id": tenant_id, "badge_class_id": badge_class_id, "kind": kind,
                                        "day": day.isoformat(), **visit}, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: see the module docstring
        logger.warning("Could not enqueue a %s count (broker unavailable?)", kind, exc_info=True)


def visitor_first_today(*, tenant_id: int, assertion_id: int, kind: str, day: str, visitor: str) -> bool:
    """Mark the visitor as counted for this award today; False if they already were."""
    VisitorMark.objects.filter(day__lt=date.fromisoformat(day) - timedelta(days=1)).delete()
    try:
        with transaction.atomic():
            VisitorMark.objects.create(tenant_id=tenant_id, assertion_id=assertion_id, kind=kind, day=day,
                                       visitor=visitor)
    except IntegrityError:
        return False
    return True


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
