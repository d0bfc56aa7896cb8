"""The outcomes dashboard's numbers, computed inside the current tenant's scope."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Upper
from django.utils import timezone

from assertions.models import Assertion, AwardTally, ClaimDelayTally
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


def _histogram_median(buckets: dict[int, int]) -> float | None:
    """``percentile_cont(0.5)`` of the delays, each taken as its bucket's hour: the middle value, or the
    mean of the two middle ones."""
    total = sum(buckets.values())
    if total <= 0:
        return None
    lo_rank, hi_rank = (total - 1) // 2, total // 2
    seen, lo_value, hi_value = 0, None, None
    for hours in sorted(buckets):
        seen += buckets[hours]
        if lo_value is None and seen > lo_rank:
            lo_value = hours
        if seen > hi_rank:
            hi_value = hours
            break
    assert lo_value is not None  # the ranks are below total
    assert hi_value is not None
    return round((lo_value + hi_value) / 2, 1)


def _claim_medians(ids: list[int], start: date, end: date) -> tuple[dict[int, float | None], float | None]:
    """Median hours from award to claim, per badge class and overall, from the kept histogram of claim
    delays (``ClaimDelayTally``: to the hour, to the day from two days on), never from the awards."""
    per_badge: dict[int, dict[int, int]] = {}
    overall: dict[int, int] = {}
    for badge_id, hours, n in (ClaimDelayTally.objects.filter(badge_class_id__in=ids, day__gte=start, day__lte=end)
                               .order_by().values("badge_class_id", "hours").annotate(n=Sum("count"))
                               .values_list("badge_class_id", "hours", "n")):
        per_badge.setdefault(badge_id, {})[hours] = n
        overall[hours] = overall.get(hours, 0) + n
    return {b: _histogram_median(h) for b, h in per_badge.items()}, _histogram_median(overall)


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
    # Counted from the kept tallies (a row per badge and day), never from the period's awards.
    tallies = AwardTally.objects.filter(badge_class_id__in=ids, day__gte=start, day__lte=end).order_by()
    counted = {r["badge_class_id"]: r for r in tallies.values("badge_class_id").annotate(
        awarded=Sum("issued"), claimed=Sum("claimed"))}
    daily = (DailyCount.objects.filter(badge_class_id__in=ids, day__gte=start, day__lte=end)
             .values("badge_class_id", "kind").annotate(n=Sum("count")))
    events: dict[tuple[int, str], int] = {(r["badge_class_id"], r["kind"]): r["n"] for r in daily}
    badge_of = Assertion.objects.filter(public_id=OuterRef("assertion_public_id")).values("badge_class_id")[:1]
    verified = {r["badge"]: r["n"] for r in VerificationEvent.objects.filter(created_at__gte=lo, created_at__lt=hi)
                .exclude(assertion_public_id=None).annotate(badge=Subquery(badge_of)).filter(badge__in=ids)
                .values("badge").annotate(n=Count("id"))}
    medians, median_overall = _claim_medians(ids, start, end)
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
                    series=_weekly(tallies, start, end), funnels=_funnels(pathway) if with_funnels else [])


def _weekly(tallies: QuerySet[AwardTally], start: date, end: date) -> list[tuple[date, int, int]]:
    first = start - timedelta(days=start.weekday())
    weeks: dict[date, list[int]] = {}
    day = first
    while day <= end:
        weeks[day] = [0, 0]
        day += timedelta(days=7)
    # The tallies' days are the college's own (its time zone): summed per day, then into weeks here.
    for day, awarded, claimed in tallies.values("day").annotate(a=Sum("issued"), c=Sum("claimed")).values_list(
            "day", "a", "c"):
        week = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])
        week[0] += awarded
        week[1] += claimed
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
