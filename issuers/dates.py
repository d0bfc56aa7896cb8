"""What a date means, and how a moment is written in a public document. One rule for every interface.

A college picks days, not instants: a tutor's "issued on 1 September" means the start of that day
in the college's time zone (a few hours before or after midnight UTC), and "issued today" means
now. An expiry day is valid through the end of it. The web form, the REST API, the CSV bulk job in
the worker and a pathway's capstone all hand the issuing service a ``date``; only the service
turns it into a moment, here, with the college's zone (never the process's current zone, which a
worker does not have).

Every timestamp in a public document (``issuedOn``, ``expires``, ``revokedAt``, endorsements' dates)
is written by :func:`public_timestamp`: UTC, whole seconds, ``Z``. Strict verifiers truncate to
seconds before comparing a baked copy with the hosted one, so microseconds would make a genuine
badge fail there.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time

END_OF_DAY = time(23, 59, 59)


def _at(day: date, clock: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """``day`` at ``clock`` on the college's wall clock. On a day that starts with a DST jump (no
    local midnight), fold=0 gives the offset before the jump, which is the first instant of the day."""
    return datetime.combine(day, clock, tzinfo=zone)


def moment_from_date(value: date | datetime | None, *, zone: zoneinfo.ZoneInfo, now: datetime,
                     end_of_day: bool = False) -> datetime | None:
    """The moment a date stands for in ``zone``: the start of that day (the end of it with
    ``end_of_day``, for expiry dates), except that the college's today means ``now`` when it is an
    issue date. A date-time is taken as given (a naive one as the college's wall clock)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if end_of_day:
        return _at(value, END_OF_DAY, zone)
    if value == now.astimezone(zone).date():
        return now
    return _at(value, time.min, zone)


def public_timestamp(value: datetime) -> str:
    """``2026-08-31T23:00:00Z``: UTC, whole seconds, ``Z``."""
    if value.tzinfo is None:
        raise ValueError("A public timestamp needs an aware datetime.")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
