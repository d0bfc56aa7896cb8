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
from datetime import UTC, date, datetime, time, tzinfo

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


# --- how a page shows a date or a moment: one format everywhere -----------------------------------

ZoneLike = zoneinfo.ZoneInfo | str | None


def _zone(zone: ZoneLike) -> zoneinfo.ZoneInfo | tzinfo:
    """``zone`` as a time zone; None is the current one (the college's on staff pages)."""
    if isinstance(zone, str):
        try:
            return zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return UTC
    if zone is None:
        from django.utils import timezone

        return timezone.get_current_timezone()
    return zone


def as_moment(value: datetime | date | str | None) -> datetime | date | None:
    """A datetime (aware, or taken as UTC), a date, or an ISO 8601 text as public documents write it."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def zone_name(moment: datetime) -> str:
    """The zone as people read it: "GMT", "BST", "CET"; "UTC+03:00" where the zone has no letters."""
    abbreviation = moment.tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def shown_day(value: datetime | date | str | None, zone: ZoneLike = None) -> str:
    """``2 December 2026``: the day a moment falls on in the college's zone."""
    moment = as_moment(value)
    if moment is None:
        return ""
    day = moment.astimezone(_zone(zone)).date() if isinstance(moment, datetime) else moment
    return f"{day.day} {day:%B %Y}"


def shown_moment(value: datetime | str | None, zone: ZoneLike = None) -> str:
    """``2 December 2026, 14:05 GMT``: a moment on the college's clock, with the zone named."""
    moment = as_moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return shown_day(moment)
    local = moment.astimezone(_zone(zone))
    return f"{local.day} {local:%B %Y, %H:%M} {zone_name(local)}"
