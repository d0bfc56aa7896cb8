"""The kept counts of awards per badge class and issue day (``AwardTally``), changed with the awards.

Each change is one ``INSERT ... ON CONFLICT DO UPDATE`` adding to the day's row, in the transaction of
the change, so a count is never ahead of or behind what committed. Rows are written in (badge class,
day) order, so two transactions adding to the same rows wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from assertions.models import Assertion, AwardTally, ClaimDelayTally
from issuers.scoping import current_tenant_id

COLUMNS = ("issued", "claimed", "revoked", "claimed_revoked")


@dataclass(frozen=True, slots=True)
class Change:
    tenant_id: int
    badge_class_id: int
    day: date
    issued: int = 0
    claimed: int = 0
    revoked: int = 0
    claimed_revoked: int = 0


def issue_day(issued_on: datetime, zone: ZoneInfo) -> date:
    """The day an award counts on: its issue date in the college's time zone, as the outcomes read it."""
    return timezone.localtime(issued_on, zone).date()


def tally_add(changes: Iterable[Change]) -> None:
    """Add each change to its (badge class, day) row, creating the row the first time."""
    statement = tally_statement(changes)
    if statement is not None:
        with connection.cursor() as cursor:
            cursor.execute(*statement)


def tally_statement(changes: Iterable[Change]) -> tuple[str, list[Any]] | None:
    """The one ``INSERT ... ON CONFLICT DO UPDATE`` of ``tally_add`` (None when there is nothing to add), for a
    caller that sends it with other writes (``issuers.rows.RowWrites``)."""
    summed: dict[tuple[int, int, date], Counter[str]] = {}
    for c in changes:
        into = summed.setdefault((c.badge_class_id, c.tenant_id, c.day), Counter())
        for column in COLUMNS:
            into[column] += getattr(c, column)
    if not summed:
        return None
    table = AwardTally._meta.db_table
    values: list[str] = []
    params: list[Any] = []
    for (badge_id, tenant_id, day), counts in sorted(summed.items()):
        values.append("(%s, %s, %s, %s, %s, %s, %s)")
        params += [tenant_id, badge_id, day, *(counts[column] for column in COLUMNS)]
    updates = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in COLUMNS)
    return (f"INSERT INTO {table} (tenant_id, badge_class_id, day, {', '.join(COLUMNS)}) "  # noqa: S608 - names are ours
            f"VALUES {', '.join(values)} ON CONFLICT (badge_class_id, day) DO UPDATE SET {updates}", params)


def delay_bucket(issued_on: datetime, claimed_at: datetime) -> int | None:
    """The histogram bucket of a claim: whole hours below two days, whole days (in hours) from then;
    None for a claim dated before its award (a backdated award claimed at once), which no median counts."""
    if claimed_at < issued_on:
        return None
    hours = int((claimed_at - issued_on).total_seconds() // 3600)
    return hours if hours < 48 else hours // 24 * 24


def _delay_add(award: Assertion, zone: ZoneInfo, n: int) -> None:
    if award.claimed_at is None or (hours := delay_bucket(award.issued_on, award.claimed_at)) is None:
        return
    table = ClaimDelayTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (tenant_id, badge_class_id, day, hours, count) "  # noqa: S608 - our names
                       f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT (badge_class_id, day, hours) "
                       f"DO UPDATE SET count = {table}.count + EXCLUDED.count",
                       [award.tenant_id, award.badge_class_id, issue_day(award.issued_on, zone), hours, n])


def issued(awards: Iterable[Assertion], zone: ZoneInfo) -> None:
    tally_add(issued_changes(awards, zone))


def issued_changes(awards: Iterable[Assertion], zone: ZoneInfo) -> list[Change]:
    """A batch's awards counted per (badge class, day) first: a cohort's share one issue moment, so its day
    is worked out once, not per award (a twentieth of recording a cohort's CPU went on this)."""
    days: dict[datetime, date] = {}
    counts: Counter[tuple[int, int, date]] = Counter()
    for a in awards:
        day = days.get(a.issued_on)
        if day is None:
            day = days[a.issued_on] = issue_day(a.issued_on, zone)
        counts[(a.tenant_id, a.badge_class_id, day)] += 1
    return [Change(tenant_id, badge_id, day, issued=n) for (tenant_id, badge_id, day), n in counts.items()]


def claimed(award: Assertion, zone: ZoneInfo) -> None:
    tally_add([Change(award.tenant_id, award.badge_class_id, issue_day(award.issued_on, zone), claimed=1,
                      claimed_revoked=int(award.revoked))])
    _delay_add(award, zone, 1)


def revoked(award: Assertion, zone: ZoneInfo) -> None:
    tally_add([Change(award.tenant_id, award.badge_class_id, issue_day(award.issued_on, zone), revoked=1,
                      claimed_revoked=int(award.claimed_at is not None))])


def deleted(award: Assertion, zone: ZoneInfo) -> None:
    """An award erased: it no longer counts in any column."""
    was_claimed = award.claimed_at is not None
    tally_add([Change(award.tenant_id, award.badge_class_id, issue_day(award.issued_on, zone), issued=-1,
                      claimed=-int(was_claimed), revoked=-int(award.revoked),
                      claimed_revoked=-int(was_claimed and award.revoked))])
    _delay_add(award, zone, -1)


REBUILD_SQL = """
INSERT INTO assertions_awardtally (tenant_id, badge_class_id, day, issued, claimed, revoked, claimed_revoked)
SELECT a.tenant_id, a.badge_class_id, (a.issued_on AT TIME ZONE t.timezone)::date,
       count(*), count(a.claimed_at), count(*) FILTER (WHERE a.revoked),
       count(a.claimed_at) FILTER (WHERE a.revoked)
FROM assertions_assertion a JOIN issuers_tenant t ON t.id = a.tenant_id
{where}
GROUP BY 1, 2, 3
"""
# The same buckets as delay_bucket(), in SQL.
DELAY_REBUILD_SQL = """
INSERT INTO assertions_claimdelaytally (tenant_id, badge_class_id, day, hours, count)
SELECT tenant_id, badge_class_id, day, CASE WHEN h < 48 THEN h ELSE h / 24 * 24 END, count(*)
FROM (SELECT a.tenant_id, a.badge_class_id, (a.issued_on AT TIME ZONE t.timezone)::date AS day,
             floor(extract(epoch FROM a.claimed_at - a.issued_on) / 3600)::int AS h
      FROM assertions_assertion a JOIN issuers_tenant t ON t.id = a.tenant_id
      WHERE a.claimed_at >= a.issued_on {where}) AS claims
GROUP BY 1, 2, 3, 4
"""


def tally_rebuild() -> int:
    """Recount the current college's tallies from its awards (the tenant scope names it); returns the
    rows written. On PostgreSQL one grouped statement; elsewhere (SQLite's small trial databases) in Python."""
    tenant_id = current_tenant_id()
    AwardTally.objects.all().delete()
    ClaimDelayTally.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(DELAY_REBUILD_SQL.format(where="AND a.tenant_id = %s"), [tenant_id])
            cursor.execute(REBUILD_SQL.format(where="WHERE a.tenant_id = %s"), [tenant_id])
            return cursor.rowcount
    changes = []
    for a in Assertion.objects.select_related("tenant").only(
            "tenant__timezone", "tenant_id", "badge_class_id", "issued_on", "claimed_at", "revoked").iterator(2000):
        was_claimed = a.claimed_at is not None
        changes.append(Change(a.tenant_id, a.badge_class_id, issue_day(a.issued_on, a.tenant.zone), issued=1,
                              claimed=int(was_claimed), revoked=int(a.revoked),
                              claimed_revoked=int(was_claimed and a.revoked)))
    tally_add(changes)
    for a in Assertion.objects.exclude(claimed_at=None).select_related("tenant").iterator(2000):
        _delay_add(a, a.tenant.zone, 1)
    return len({(c.badge_class_id, c.day) for c in changes})
