"""The outcomes dashboard's numbers, computed inside the current tenant's scope."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Lower
from django.utils import timezone

from assertions.models import Assertion
from badges.models import BadgeClass
from insights.models import DailyCount
from issuers.models import Issuer
from pathways import requirements
from pathways.models import Pathway, PathwayCompletion
from pathways.services import badge_version_ids
from verification.models import VerificationEvent

COLUMNS = ("awarded", "claimed", "share_view", "linkedin", "download", "verified")


@dataclass
class Row:
    badge_class: BadgeClass
    awarded: int = 0
    claimed: int = 0
    share_view: int = 0
    linkedin: int = 0
    download: int = 0
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


def _median_hours(pairs: list[tuple[datetime, datetime | None]]) -> float | None:
    hours = [(claimed - issued).total_seconds() / 3600 for issued, claimed in pairs if claimed and claimed >= issued]
    return round(statistics.median(hours), 1) if hours else None


def outcomes(*, start: date, end: date, issuer: Issuer | None = None, badge_class: BadgeClass | None = None,
             pathway: Pathway | None = None) -> Outcomes:
    """Awards in ``[start, end]`` (by issue date), what became of them, and the events in that period."""
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
    claim_pairs: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for badge_id, issued, claimed in awards.exclude(claimed_at=None).values_list(
            "badge_class_id", "issued_on", "claimed_at"):
        claim_pairs.setdefault(badge_id, []).append((issued, claimed))
    rows = []
    for b in listed:
        c: Mapping[str, Any] = counted.get(b.pk, {})
        rows.append(Row(b, awarded=c.get("awarded", 0), claimed=c.get("claimed", 0),
                        share_view=events.get((b.pk, "share_view"), 0), linkedin=events.get((b.pk, "linkedin"), 0),
                        download=events.get((b.pk, "download"), 0), verified=verified.get(b.pk, 0),
                        median_hours_to_claim=_median_hours(claim_pairs.get(b.pk, []))))
    totals = {col: sum(getattr(r, col) for r in rows) for col in COLUMNS}
    everything = [p for pairs in claim_pairs.values() for p in pairs]
    return Outcomes(start=start, end=end, rows=rows, totals=totals, median_hours_to_claim=_median_hours(everything),
                    series=_weekly(awards, start, end), funnels=_funnels(pathway))


def _weekly(awards: QuerySet[Assertion], start: date, end: date) -> list[tuple[date, int, int]]:
    first = start - timedelta(days=start.weekday())
    weeks: dict[date, list[int]] = {}
    day = first
    while day <= end:
        weeks[day] = [0, 0]
        day += timedelta(days=7)
    for issued, claimed in awards.values_list("issued_on", "claimed_at"):
        local = timezone.localtime(issued).date()
        week = local - timedelta(days=local.weekday())
        if week in weeks:
            weeks[week][0] += 1
            weeks[week][1] += claimed is not None
    return [(w, a, c) for w, (a, c) in weeks.items()]


def _by_learner(by_address: dict[str, set[int]]) -> list[set[int]]:
    """What each learner holds: a learner with an account is all its verified addresses (as pathways
    count them); an address no account has verified is a learner of its own."""
    owner: dict[str, int] = {}
    addresses = list(by_address)
    for start in range(0, len(addresses), 2000):
        owner.update(EmailAddress.objects.filter(verified=True).annotate(address=Lower("email"))
                     .filter(address__in=addresses[start:start + 2000]).values_list("address", "user_id"))
    learners: dict[object, set[int]] = {}
    for address, badges in by_address.items():
        learners.setdefault(("user", owner[address]) if address in owner else address, set()).update(badges)
    return list(learners.values())


def _funnels(only: Pathway | None) -> list[Funnel]:
    pathways = [only] if only is not None else list(Pathway.objects.all())
    if not pathways:
        return []
    by_address: dict[str, set[int]] = {}
    for identity, badge_id in Assertion.objects.filter(revoked=False).values_list("recipient_identity",
                                                                                    "badge_class_id"):
        by_address.setdefault(identity, set()).add(badge_id)
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
