"""The outcomes dashboard's numbers, computed inside the current tenant's scope."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db import connection
from django.db.models import Aggregate, Count, DateField, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncWeek, Upper
from django.utils import timezone

from assertions.models import Assertion
from badges.models import BadgeClass
from insights.models import DailyCount
from issuers.models import Issuer
from pathways import requirements
from pathways.models import Pathway, PathwayCompletion
from pathways.services import badge_version_ids
from verification.models import VerificationEvent

COLUMNS = ("awarded", "claimed", "share_view", "linkedin", "download", "wallet", "verified")


@dataclass
class Row:
    badge_class: BadgeClass
    awarded: int = 0
    claimed: int = 0
    share_view: int = 0
    linkedin: int = 0
    download: int = 0
    wallet: int = 0
    verified: int = 0
    median_hours_to_claim: float | None = None


@dataclass
class Funnel:
    pathway: Pathway
    started: int  # learners holding at least one required badge
    halfway: int  # at least half of the top-level requirements met
    completed: int


@dataclass
class Outcomes:
    start: date
    end: date
    rows: list[Row]
    totals: dict[str, int]
    median_hours_to_claim: float | None
    series: list[tuple[date, int, int]]  # week starting, awarded, claimed
    funnels: list[Funnel] = field(default_factory=list)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median computed where the rows are."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _median_hours(pairs: list[tuple[datetime, datetime]]) -> float | None:
    seconds = [(claimed - issued).total_seconds() for issued, claimed in pairs]
    return _hours(statistics.median(seconds)) if seconds else None


def _claim_medians(awards: QuerySet[Assertion]) -> tuple[dict[int, float | None], float | None]:
    """Median hours from award to claim, per badge class and overall. On PostgreSQL the database computes
    them (a college's years of awards never leave it); SQLite, the embedded default for one machine's
    trial, has no percentile aggregate, and its tables are small, so the rows are read there."""
    claimed = awards.filter(claimed_at__isnull=False, claimed_at__gte=F("issued_on"))
    if connection.vendor == "postgresql":
        seconds = Func(F("claimed_at") - F("issued_on"), template="EXTRACT(EPOCH FROM %(expressions)s)",
                       output_field=FloatField())
        per_badge = {r["badge_class_id"]: _hours(r["median"])
                     for r in claimed.values("badge_class_id").annotate(median=_Median(seconds))}
        return per_badge, _hours(claimed.aggregate(median=_Median(seconds))["median"])
    pairs: dict[int, list[tuple[datetime, datetime]]] = {}
    for badge_id, issued, when in claimed.values_list("badge_class_id", "issued_on", "claimed_at"):
        assert when is not None  # filtered above
        pairs.setdefault(badge_id, []).append((issued, when))
    return ({b: _median_hours(p) for b, p in pairs.items()},
            _median_hours([pair for each in pairs.values() for pair in each]))


def outcomes(*, start: date, end: date, issuer: Issuer | None = None, badge_class: BadgeClass | None = None,
             pathway: Pathway | None = None, with_funnels: bool = True) -> Outcomes:
    """Awards in ``[start, end]`` (by issue date), what became of them, and the events in that period;
    the pathway funnels too unless ``with_funnels`` is false (the CSV export does not write them)."""
    lo, hi = _bounds(start, end)
    badges = BadgeClass.objects.select_related("issuer").order_by("name")
    if issuer is not None:
        badges = badges.filter(issuer=issuer)
    if badge_class is not None:
        badges = badges.filter(pk=badge_class.pk)
    if pathway is not None:
        named = requirements.badges_in(pathway.requirements)
        badges = badges.filter(Q(public_id__in=named) | Q(pk=pathway.capstone_id))
    listed = list(badges)
    ids = [b.pk for b in listed]
    awards = Assertion.objects.filter(badge_class_id__in=ids, issued_on__gte=lo, issued_on__lt=hi)
    counted = {r["badge_class_id"]: r for r in awards.values("badge_class_id").annotate(
        awarded=Count("id"), claimed=Count("id", filter=Q(claimed_at__isnull=False)))}
    daily = (DailyCount.objects.filter(badge_class_id__in=ids, day__gte=start, day__lte=end)
             .values("badge_class_id", "kind").annotate(n=Sum("count")))
    events: dict[tuple[int, str], int] = {(r["badge_class_id"], r["kind"]): r["n"] for r in daily}
    badge_of = Assertion.objects.filter(public_id=OuterRef("assertion_public_id")).values("badge_class_id")[:1]
    verified = {r["badge"]: r["n"] for r in VerificationEvent.objects.filter(created_at__gte=lo, created_at__lt=hi)
                .exclude(assertion_public_id=None).annotate(badge=Subquery(badge_of)).filter(badge__in=ids)
                .values("badge").annotate(n=Count("id"))}
    medians, median_overall = _claim_medians(awards)
    rows = []
    for b in listed:
        c: Mapping[str, Any] = counted.get(b.pk, {})
        rows.append(Row(b, awarded=c.get("awarded", 0), claimed=c.get("claimed", 0),
                        share_view=events.get((b.pk, "share_view"), 0), linkedin=events.get((b.pk, "linkedin"), 0),
                        download=events.get((b.pk, "download"), 0), wallet=events.get((b.pk, "wallet"), 0),
                        verified=verified.get(b.pk, 0),
                        median_hours_to_claim=medians.get(b.pk)))
    totals = {col: sum(getattr(r, col) for r in rows) for col in COLUMNS}
    return Outcomes(start=start, end=end, rows=rows, totals=totals, median_hours_to_claim=median_overall,
                    series=_weekly(awards, start, end), funnels=_funnels(pathway) if with_funnels else [])


def _weekly(awards: QuerySet[Assertion], start: date, end: date) -> list[tuple[date, int, int]]:
    first = start - timedelta(days=start.weekday())
    weeks: dict[date, list[int]] = {}
    day = first
    while day <= end:
        weeks[day] = [0, 0]
        day += timedelta(days=7)
    # Counted by the database, per week in the college's time zone (the one the tenant context set).
    by_week = (awards.order_by().annotate(week=TruncWeek("issued_on", output_field=DateField(),
                                                          tzinfo=timezone.get_current_timezone()))
               .values("week").annotate(awarded=Count("id"), claimed=Count("id", filter=Q(claimed_at__isnull=False))))
    for r in by_week:
        if r["week"] in weeks:
            weeks[r["week"]] = [r["awarded"], r["claimed"]]
    return [(w, a, c) for w, (a, c) in weeks.items()]


def _by_learner(by_address: dict[str, set[int]]) -> list[set[int]]:
    """What each learner holds: a learner with an account is all its verified addresses (as pathways
    count them); an address no account has verified is a learner of its own."""
    owner: dict[str, int] = {}
    addresses = list(by_address)
    for start in range(0, len(addresses), 2000):
        # UPPER(email): what the case-insensitive index on addresses holds (accounts migration 0002).
        chunk = [a.upper() for a in addresses[start:start + 2000]]
        owner.update((address.lower(), user_id) for address, user_id in EmailAddress.objects.filter(verified=True)
                     .annotate(address=Upper("email")).filter(address__in=chunk).values_list("address", "user_id"))
    learners: dict[object, set[int]] = {}
    for address, badges in by_address.items():
        learners.setdefault(("user", owner[address]) if address in owner else address, set()).update(badges)
    return list(learners.values())


def _funnels(only: Pathway | None) -> list[Funnel]:
    pathways = [only] if only is not None else list(Pathway.objects.all())
    if not pathways:
        return []
    # Only the awards of badges some pathway names (any version of them), never every award of the college.
    named = set().union(*(requirements.badges_in(p.requirements) for p in pathways))
    relevant = badge_version_ids(BadgeClass.objects.filter(public_id__in=named).values_list("pk", flat=True))
    by_address: dict[str, set[int]] = {}
    for identity, badge_id in Assertion.objects.filter(revoked=False, badge_class__public_id__in=relevant) \
            .order_by().values_list("recipient_identity", "badge_class_id"):
        by_address.setdefault(identity.lower(), set()).add(badge_id)
    holdings = _by_learner(by_address)
    # Each badge class's versions once (a handful of badges), not once per learner.
    versions = {b: badge_version_ids({b}) for b in set().union(*holdings)} if holdings else {}
    funnels = []
    for p in pathways:
        named = requirements.badges_in(p.requirements)
        started = halfway = 0
        for held_ids in holdings:
            held = set().union(*(versions[b] for b in held_ids))
            if not held & named:
                continue
            started += 1
            progress = requirements.progress(p.requirements, held)
            halfway += progress.done * 2 >= progress.needed
        funnels.append(Funnel(p, started, halfway, PathwayCompletion.objects.filter(pathway=p).count()))
    return funnels
