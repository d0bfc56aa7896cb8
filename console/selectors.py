"""Reads for the platform console: colleges with their usage, a college's usage by month, the platform's
health, and a new college's set-up checklist.

Usage is counted by aggregate queries over indexed columns (``tenant, created_at``; emails ``tenant,
sent_at``), one per figure and time zone for the list of colleges, never a loop over rows, so it stays
fast with millions of awards. Months and years are the college's own (its time zone), as its limits are."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from assertions.models import Assertion, BulkJob
from assertions.services import period_starts
from badges.models import BadgeClass
from console.models import Offboarding, StorageMeasure
from issuers.models import (
    ApiKey,
    AuditEntry,
    Invitation,
    Issuer,
    Membership,
    OutboxEmail,
    PeriodicRun,
    Role,
    SigningKey,
    Tenant,
)
from issuers.scoping import unscoped
from verification.models import VerificationEvent

FIGURES = ("badges", "learners", "emails", "verifications")


@dataclass
class Usage:
    """What a college used in one month: awards recorded, distinct learners awarded, emails sent,
    verifications of its badges; storage is its files' bytes as last measured (not per month)."""

    month: date
    badges: int = 0
    learners: int = 0
    emails: int = 0
    verifications: int = 0


@dataclass
class CollegeRow:
    tenant: Tenant
    usage: Usage
    storage_bytes: int | None
    offboarding: Offboarding | None = None


def tenants_search(query: str = "") -> QuerySet[Tenant]:
    tenants = Tenant.objects.all()
    if query.strip():
        tenants = tenants.filter(Q(name__icontains=query.strip()) | Q(slug__icontains=query.strip()))
    return tenants.order_by("name")


def _this_month(tenants: Iterable[Tenant]) -> dict[int, Usage]:
    """This month's usage of each college: per time zone, one grouped query per figure."""
    by_zone: dict[str, list[Tenant]] = defaultdict(list)
    for tenant in tenants:
        by_zone[tenant.timezone].append(tenant)
    usage: dict[int, Usage] = {}
    with unscoped("platform console: this month's usage figures of every college, counted per college"):
        for tenants_of_zone in by_zone.values():
            start = period_starts(tenants_of_zone[0])[0]
            ids = [t.pk for t in tenants_of_zone]
            for t in tenants_of_zone:
                usage[t.pk] = Usage(month=start.date())
            awards = (Assertion.objects.filter(tenant_id__in=ids, created_at__gte=start).values("tenant_id")
                      .annotate(badges=Count("id"), learners=Count("recipient_identity", distinct=True)))
            for row in awards:
                usage[row["tenant_id"]].badges, usage[row["tenant_id"]].learners = row["badges"], row["learners"]
            emails = (OutboxEmail.objects.filter(tenant_id__in=ids, status=OutboxEmail.Status.SENT, sent_at__gte=start)
                      .values("tenant_id").annotate(n=Count("id")))
            for sent in emails:
                usage[sent["tenant_id"]].emails = sent["n"]
            checks = (VerificationEvent.objects.filter(tenant_id__in=ids, created_at__gte=start)
                      .values("tenant_id").annotate(n=Count("id")))
            for checked in checks:
                usage[checked["tenant_id"]].verifications = checked["n"]
    return usage


def colleges_with_usage(query: str = "") -> list[CollegeRow]:
    tenants = list(tenants_search(query))
    usage = _this_month(tenants)
    storage = dict(StorageMeasure.objects.filter(tenant__in=tenants).values_list("tenant_id", "bytes"))
    under_way = {o.tenant_id: o for o in Offboarding.objects.filter(
        tenant__in=tenants, status__in=[Offboarding.Status.BUILDING, Offboarding.Status.READY])}
    return [CollegeRow(t, usage[t.pk], storage.get(t.pk), under_way.get(t.pk)) for t in tenants]


def usage_by_month(*, tenant: Tenant, months: int = 12) -> list[Usage]:
    """The college's usage in each of its last ``months`` calendar months (its time zone), newest first:
    one grouped query per figure."""
    zone = tenant.zone
    current = period_starts(tenant)[0]
    starts = [current]
    for _ in range(months - 1):
        starts.append((starts[-1] - timedelta(days=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    since = starts[-1]
    rows = {s.date(): Usage(month=s.date()) for s in starts}

    def by_month(queryset: QuerySet[Any], column: str, **counts: Any) -> Iterable[dict[str, Any]]:
        return queryset.annotate(m=TruncMonth(column, tzinfo=zone)).values("m").annotate(**counts).order_by()

    with unscoped("platform console: one college's usage figures by month"):
        awards = Assertion.objects.filter(tenant=tenant, created_at__gte=since)
        for row in by_month(awards, "created_at", badges=Count("id"), learners=Count("recipient_identity",
                                                                                      distinct=True)):
            usage = rows.get(_month(row["m"], zone))
            if usage is not None:
                usage.badges, usage.learners = row["badges"], row["learners"]
        emails = OutboxEmail.objects.filter(tenant=tenant, status=OutboxEmail.Status.SENT, sent_at__gte=since)
        for row in by_month(emails, "sent_at", n=Count("id")):
            if (usage := rows.get(_month(row["m"], zone))) is not None:
                usage.emails = row["n"]
        checks = VerificationEvent.objects.filter(tenant=tenant, created_at__gte=since)
        for row in by_month(checks, "created_at", n=Count("id")):
            if (usage := rows.get(_month(row["m"], zone))) is not None:
                usage.verifications = row["n"]
    return list(rows.values())


def _month(value: datetime | date, zone: zoneinfo.ZoneInfo) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(zone) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def storage_of(tenant: Tenant) -> StorageMeasure | None:
    return StorageMeasure.objects.filter(tenant=tenant).first()


# --- health -------------------------------------------------------------------------------------------


@dataclass
class Health:
    queues: dict[str, int | None]  # None: the broker did not answer
    broker_error: str
    failed_emails: list[dict[str, Any]]
    stuck_jobs: list[BulkJob]
    periodic: list[dict[str, Any]]
    signing_keys: int
    oldest_key: datetime | None
    checked_at: datetime = field(default_factory=timezone.now)


def queue_lengths() -> tuple[dict[str, int | None], str]:
    """Messages waiting in each Celery queue, asked of the broker (Redis, or the filesystem broker of
    ``make run``); a queue nobody has used yet holds none."""
    names = [q.name for q in settings.CELERY_TASK_QUEUES]
    lengths: dict[str, int | None] = dict.fromkeys(names)
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
            channel = conn.default_channel
            for name in names:
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except Exception:  # noqa: BLE001 - kombu raises its transport's own error for a queue not made yet
                    lengths[name] = 0
                    channel = conn.channel()
    except Exception as exc:  # noqa: BLE001 - any broker failure is what this page reports
        return dict.fromkeys(names), f"The broker did not answer: {type(exc).__name__}: {exc}"[:300]
    return lengths, ""


def platform_health() -> Health:
    now = timezone.now()
    queues, broker_error = queue_lengths()
    stuck_after = now - timedelta(seconds=settings.PIPELINE_STUCK_AFTER)
    with unscoped("platform console: health figures across every college (emails, jobs, signing keys)"):
        bad = [OutboxEmail.Status.FAILED, OutboxEmail.Status.UNKNOWN]
        failed = list(OutboxEmail.objects.filter(status__in=bad, updated_at__gte=now - timedelta(hours=24))
            .values("tenant__name", "status").annotate(n=Count("id")).order_by("tenant__name", "status"))
        stuck = list(BulkJob.objects.filter(status__in=[BulkJob.Status.QUEUED, BulkJob.Status.RUNNING],
                                            updated_at__lt=stuck_after)
                     .select_related("tenant", "badge_class").order_by("updated_at")[:50])
        keys = SigningKey.objects.filter(retired_at=None).aggregate(n=Count("id"), oldest=Min("created_at"))
    runs = {r.task: r for r in PeriodicRun.objects.all()}
    periodic = []
    for name, entry in sorted(settings.CELERY_BEAT_SCHEDULE.items()):
        run = runs.get(entry["task"])
        every = entry["schedule"] if isinstance(entry["schedule"], int | float) else None
        late = run is None or (every is not None and run.started_at < now - timedelta(seconds=2 * every + 60))
        periodic.append({"name": name, "task": entry["task"], "every": every, "run": run,
                         "late": late or (run is not None and run.succeeded is False)})
    return Health(queues=queues, broker_error=broker_error, failed_emails=[dict(row) for row in failed],
                  stuck_jobs=stuck, periodic=periodic, signing_keys=keys["n"], oldest_key=keys["oldest"])


# --- a new college's first hour --------------------------------------------------------------------


@dataclass
class Step:
    title: str
    done: bool
    url: str
    hint: str
    optional: bool = False


def setup_checklist(*, tenant: Tenant) -> list[Step]:
    """The first admin's set-up, ticked from the college's data (inside its scope): each step links to the
    page that does it. The first issuer profile is made with the college; the step is reviewing it."""
    slug = tenant.slug
    audit = AuditEntry.objects.filter(action__in=["tenant.update", "issuer.update"])
    actions = set(audit.values_list("action", flat=True))
    default_colour = Tenant._meta.get_field("primary_colour").default
    staff_invited = (Invitation.objects.filter(role=Role.ISSUER, revoked_at=None).exists()
                     or Membership.objects.filter(role=Role.ISSUER).exists())
    issuer = Issuer.objects.order_by("created_at").first()
    return [
        Step("College details and time zone", "tenant.update" in actions, reverse("issuers:settings", args=[slug]),
             f"Check the name, contact and reply-to addresses and the time zone ({tenant.timezone})."),
        Step("Logo and colour", bool(tenant.logo) or tenant.primary_colour != default_colour,
             reverse("issuers:settings", args=[slug]), "Your logo and colour go on award emails and pages."),
        Step("Your first issuer profile", "issuer.update" in actions or Issuer.objects.count() > 1,
             reverse("issuers:issuer", args=[slug, issuer.public_id]) if issuer else reverse("issuers:issuers",
                                                                                              args=[slug]),
             "The name, website and contact address every badge shows as its issuer."),
        Step("Your first badge", BadgeClass.objects.exists(), reverse("badges:create", args=[slug]),
             "What the badge means, its criteria and its image."),
        Step("Invite a tutor", staff_invited, reverse("issuers:staff", args=[slug]),
             "Tutors and assessors award badges; they get an email invitation."),
        Step("Your first award", Assertion.objects.exists(), reverse("assertions:dashboard", args=[slug]),
             "Award a badge to a learner: they get an email to claim it."),
        Step("An API key", ApiKey.objects.exists(), reverse("issuers:api_keys", args=[slug]),
             "For your MIS or LMS to award badges automatically.", optional=True),
    ]
