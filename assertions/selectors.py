"""Reads for the tutor's pages: counts per badge class, awards, and an award's status in steps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Lower

from assertions.models import Assertion, AwardTally, BulkJob
from badges.models import BadgeClass
from badges.selectors import badge_classes_of
from issuers.models import Membership, OutboxEmail, Tenant
from issuers.selectors import membership_is_limited

E = Assertion.EmailStatus
M = OutboxEmail.Status


def awards_with_badges(rows: QuerySet[Assertion], *, tenant: bool = False) -> list[Assertion]:
    """The awards of ``rows``, each with its badge class and the badge's issuer (and, with ``tenant``, its
    tenant) read once per distinct one and shared, instead of joined into every row: a cohort's awards share
    one badge, and making the same three objects again from each row's columns was a tenth of a worker's
    bake or send. The same objects ``select_related`` would give, one of each."""
    awards = list(rows)
    badges = {badge.pk: badge for badge in BadgeClass.objects.select_related("issuer").filter(
        pk__in={award.badge_class_id for award in awards})}
    tenants = {row.pk: row for row in Tenant.objects.filter(pk__in={award.tenant_id for award in awards})} \
        if tenant else {}
    badge_field, tenant_field = Assertion._meta.get_field("badge_class"), Assertion._meta.get_field("tenant")
    for award in awards:
        if (badge := badges.get(award.badge_class_id)) is not None:
            badge_field.set_cached_value(award, badge)  # type: ignore[union-attr]  # a ForeignKey's cache
        if (owner := tenants.get(award.tenant_id)) is not None:
            tenant_field.set_cached_value(award, owner)  # type: ignore[union-attr]
    return awards


def assertions_of(membership: Membership) -> QuerySet[Assertion]:
    """The awards of the badge classes this member may use: where staff pages look an award up by id.
    A member of every issuer gets the tenant's awards as the scope gives them, with no ``IN`` list of
    badge classes, so "newest first" is read backwards from the (tenant, created_at) index."""
    awards = Assertion.objects.select_related("badge_class__issuer", "mail")
    if membership_is_limited(membership):
        awards = awards.filter(badge_class__in=badge_classes_of(membership))
    return awards


def bulk_jobs_of(membership: Membership) -> QuerySet[BulkJob]:
    """The cohort jobs of the badge classes this member may use: where every page (the job's own, and
    saving its learners as a cohort) looks a job up by id."""
    return BulkJob.objects.filter(badge_class__in=badge_classes_of(membership)).select_related("badge_class__issuer")


def badge_classes_with_counts(badges: QuerySet[BadgeClass]) -> list[BadgeClass]:
    """Each badge class with how many awards are live (not revoked), claimed, waiting for their
    email, or whose email failed (or may not have arrived). Two grouped queries: the kept tallies
    summed (a few rows per badge and day, never the awards themselves), and the email states read from
    the outbox's few unfinished or failed messages (a join of every award with its email would grow
    with years of sent mail)."""
    listed = list(badges)
    ids = [b.pk for b in listed]
    live = Assertion.objects.filter(badge_class_id__in=ids, revoked=False).order_by().values("badge_class_id")
    counts: dict[int, dict[str, Any]] = {r["badge_class_id"]: {**r} for r in AwardTally.objects.filter(
        badge_class_id__in=ids).order_by().values("badge_class_id").annotate(
        n_issued=Sum(F("issued") - F("revoked")), n_claimed=Sum(F("claimed") - F("claimed_revoked")))}
    counts_of_mail: dict[int, dict[str, Any]] = {r["badge_class_id"]: {**r} for r in live.filter(
        mail__status__in=[M.QUEUED, M.SENDING, M.FAILED, M.UNKNOWN]).annotate(
        n_pending_email=Count("id", filter=Q(mail__status__in=[M.QUEUED, M.SENDING])),
        n_failed_email=Count("id", filter=Q(mail__status__in=[M.FAILED, M.UNKNOWN])))}
    for b in listed:
        found = {**counts.get(b.pk, {}), **counts_of_mail.get(b.pk, {})}
        for name in ("n_issued", "n_claimed", "n_pending_email", "n_failed_email"):
            setattr(b, name, found.get(name, 0))
    return listed


# A badge's award search reads and sorts every match while there are fewer than this; with more, it walks the
# badge's newest awards until 50 match (at 5,000 matches of 333,000, some 3,300 of them; reading and sorting
# 5,000 matches costs about as much).
SEARCH_SORTED_MAX = 5000


def badge_awards(badge: BadgeClass, *, search: str = "", limit: int = 50) -> QuerySet[Assertion]:
    """The badge's awards, newest first; ``search`` matches an address or a name from its start, as the
    learner search does (the pattern indexes of migration 0010 answer it, not a scan of every award)."""
    awards = Assertion.objects.filter(badge_class=badge).select_related("mail")
    term = search.strip().lower()
    if term:
        matching = (awards.alias(name_lower=Lower("recipient_name"))
                    .filter(Q(recipient_identity__startswith=term) | Q(name_lower__startswith=term)))
        # How many match, counted up to SEARCH_SORTED_MAX from the pattern indexes, decides the plan. Few:
        # ordered by an expression no index holds, so PostgreSQL reads the matches from the badge's pattern
        # indexes (migration 0016) and sorts them, rather than walking the badge's newest awards until 50
        # match (its guess that matches are spread evenly put them first, and with old matches it read
        # 307,000 awards at 1,000,000: 0.4-0.7 s against 1 ms). Many ("learner 1" at 1,000,000: 37,000):
        # reading them all to sort took 25 ms and grows with the data, while the newest awards hold 50 of
        # them within a few hundred, so the badge's newest-first index is walked (1.7 ms).
        if matching.order_by().values("pk")[:SEARCH_SORTED_MAX].count() < SEARCH_SORTED_MAX:
            return matching.alias(newest=ExpressionWrapper(F("issued_on") + timedelta(0), output_field=DateTimeField())
                                  ).order_by("-newest", "-id")[:limit]
        return matching.order_by("-issued_on", "-id")[:limit]
    return awards[:limit]


def learner_awards(membership: Membership, *, search: str, limit: int = 200) -> list[tuple[str, list[Assertion]]]:
    """A learner's awards across every badge of the college this member may use, by email or name, grouped
    by address (one learner, however many badges): [(address, awards newest first)].

    Index-friendly: the address and the lower-cased name are matched from their start (``LIKE 'x%'``),
    which PostgreSQL answers from the two pattern indexes of migration 0010 (tenant first, as the scope
    filters it), never by reading every award of the college. "lee" finds lee@example.org and Lee Ann;
    "ann" finds neither: search a name from its first letter."""
    term = search.strip().lower()
    if len(term) < 2:
        return []
    awards = learner_matches(membership, term=term).order_by("recipient_identity", "-issued_on")[:limit]
    grouped: dict[str, list[Assertion]] = {}
    for award in awards:
        grouped.setdefault(award.recipient_identity, []).append(award)
    return list(grouped.items())


def learner_matches(membership: Membership, *, term: str) -> QuerySet[Assertion]:
    """The awards whose address or lower-cased name starts with ``term`` (already lower-cased)."""
    return (assertions_of(membership).alias(name_lower=Lower("recipient_name"))
            .filter(Q(recipient_identity__startswith=term) | Q(name_lower__startswith=term)))


def latest_awards(membership: Membership, *, limit: int = 8) -> QuerySet[Assertion]:
    """The newest awards of the badges this member may use: the dashboard's "Latest awards"."""
    return assertions_of(membership).order_by("-created_at")[:limit]


def awards_needing_attention(membership: Membership, *, limit: int = 20) -> QuerySet[Assertion]:
    """Live awards whose email was refused or may not have arrived: each needs a person (Resend, or
    correct the address). Newest first."""
    return (assertions_of(membership).filter(revoked=False, mail__status__in=[M.FAILED, M.UNKNOWN])
            .order_by("-created_at")[:limit])


def badge_jobs(badge: BadgeClass, *, limit: int = 10) -> QuerySet[BulkJob]:
    return BulkJob.objects.filter(badge_class=badge)[:limit]


def assertion_steps(assertion: Assertion) -> dict[str, Any]:
    """Recorded → image baked → email sent → claimed, each ``done``, ``current``, ``failed``,
    ``warning``, ``skipped`` or ``todo``; ``final`` once nothing more happens without the learner."""
    # Keyed by the choices, looked up by the stored str value: typed dict[str, str] for the lookups.
    bake_states: dict[str, str] = {Assertion.BakeStatus.DONE: "done", Assertion.BakeStatus.FAILED: "failed"}
    bake = bake_states.get(assertion.bake_status, "current")
    email_states: dict[str, str] = {E.SENT: "done", E.FAILED: "failed", E.UNKNOWN: "warning", E.NONE: "skipped"}
    email_state = email_states.get(assertion.email_status, "current" if bake == "done" else "todo")
    email_labels: dict[str, str] = {
        E.SENT: "Email sent", E.FAILED: "Email failed", E.UNKNOWN: "Delivery unknown — resend?",
        E.NONE: "No email sent", E.SENDING: "Email sending", E.PENDING: "Email queued",
    }
    email_label = email_labels[assertion.email_status]
    steps = [
        {"key": "recorded", "label": "Recorded", "state": "done"},
        {"key": "baked", "label": "Image failed" if bake == "failed" else "Image baked", "state": bake},
        {"key": "email", "label": email_label, "state": email_state},
        {"key": "claimed", "label": "Claimed" if assertion.claimed_at else "Not claimed yet",
         "state": "done" if assertion.claimed_at else "todo"},
    ]
    settled = bake != "current" and email_state not in {"current", "todo"}
    return {
        "id": str(assertion.public_id),
        "status": assertion.pipeline_status,
        "revoked": assertion.revoked,
        "expired": assertion.is_expired,
        "steps": steps,
        "email_status": assertion.email_status,
        "email_error": assertion.email_error,
        "bake_error": assertion.bake_error,
        "can_resend": (not assertion.revoked and assertion.recipient_type == Assertion.RecipientType.EMAIL
                       and assertion.email_status not in {E.PENDING, E.SENDING}),
        "final": assertion.revoked or bool(assertion.claimed_at) or settled,
    }


def job_progress(job: BulkJob) -> dict[str, Any]:
    """How far a cohort job is: rows recorded as awards, then their emails (sent, not delivered, still
    to go), so the tutor sees the learners told, not only the awards recorded. One query for the emails."""
    emails = (Assertion.objects.filter(bulk_job=job).exclude(mail=None)
              .aggregate(sent=Count("pk", filter=Q(mail__status=M.SENT)),
                         failed=Count("pk", filter=Q(mail__status__in=[M.FAILED, M.UNKNOWN])),
                         waiting=Count("pk", filter=Q(mail__status__in=[M.QUEUED, M.SENDING]))))
    final = job.status in {BulkJob.Status.DONE, BulkJob.Status.FAILED}
    return {
        "emails_sent": emails["sent"],
        "emails_failed": emails["failed"],
        "emails_waiting": emails["waiting"],
        "emails_final": final and not emails["waiting"],
        "id": str(job.public_id),
        "status": job.status,
        "status_label": job.get_status_display(),
        "total": job.total,
        "issued": job.issued,
        "failed": job.failed,
        "percent": job.progress_percent if job.status != BulkJob.Status.PREVIEW else 0,
        "final": final,
    }
