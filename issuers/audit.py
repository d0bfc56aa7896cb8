"""The audit log as people read it: plain sentences, filters, pages and a CSV, and how long it is kept.

Entries are written by ``issuers.services.audit_record`` in the transaction of the change. Each keeps
what it names as it was then (``object_label``: the badge of an award, the issuer, the invited address;
``learner``: an award's learner, masked), so the sentence stays true after a rename or a deletion:
"Ann Tutor revoked First Aid at Work from l•••@example.org: sent to the wrong address".

Pages are read newest first by keyset (``id`` below the last one shown), on indexes that start with the
tenant and the filter (``AuditEntry.Meta.indexes``), so page 1,000 costs what page 1 does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import JSONField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from issuers.context import Actor
from issuers.models import ApiKey, AuditEntry, Membership, Tenant
from issuers.registry import Registry
from issuers.scoping import unscoped

# What each action says, after who did it. {object} is the entry's object_label, {learner} the masked
# learner, {count} how many awards a batch made. Written once here, for every app's actions.
PHRASES: dict[str, str] = {
    "tenant.create": "created the college {object}",
    "tenant.update": "changed the college's settings",
    "tenant.active": "reactivated the college",
    "tenant.suspended": "suspended the college",
    "tenant.limits": "set the college's limits to {badges_per_month} badges a month and {learners_per_year} "
                     "learners a year",
    "tenant.offboarding_cancel": "cancelled the deletion of the college",
    "membership.create": "added {object} to the staff with the role {role}",
    "membership.update": "gave {object} the role {role}",
    "membership.remove": "removed {object} from the staff",
    "invitation.create": "invited {object}",
    "invitation.resend": "resent the invitation to {object}",
    "invitation.accept": "accepted the invitation to join",
    "invitation.revoke": "withdrew the invitation to {object}",
    "api_key.create": "created the API key {object}",
    "api_key.revoke": "revoked the API key {object}",
    "issuer.create": "created the issuer {object}",
    "issuer.update": "changed the issuer {object}",
    "signing_key.rotate": "rotated the signing key of {object}",
    "credential_key.rotate": "rotated the Open Badges 3.0 key of {object}",
    "badge_class.create": "created the badge {object}",
    "badge_class.update": "changed the badge {object}",
    "badge_class.new_version": "made a new version of the badge {object}",
    "badge_class.retire": "retired the badge {object}",
    "assertion.issue": "awarded {object} to {learner}",
    "assertion.issue_batch": "awarded {object} to {count} learners",
    "assertion.revoke": "revoked {object} from {learner}",
    "assertion.resend": "resent {object} to {learner}",
    "assertion.correct": "corrected the learner of {object} to {learner}",
    "assertion.erase_withdraw": "withdrew {object} from {learner} at the learner's request",
    "assertion.erase_delete": "deleted {object} of {learner} at the learner's request",
    "pathway.create": "created the pathway {object}",
    "pathway.flag": "flagged a completion of the pathway {object} for review",
    "pathway.flag_resolve": "resolved a flagged completion of the pathway {object}",
    "cohort.create": "created the cohort {object}",
    "endorsement.request": "asked for an endorsement of {object}",
    "endorsement.request_resend": "resent the endorsement request for {object}",
    "endorsement.request_revoke": "withdrew the endorsement request for {object}",
    "endorsement.publish": "endorsed {object}",
    "endorsement.withdraw": "withdrew the endorsement of {object}",
    "sso.configure": "connected the identity provider for single sign-on",
    "sso.policy": "changed who single sign-on lets in and as what",
    "sso.remove": "disconnected single sign-on",
    "sso.domain_approve": "approved the college's claim to the email domain {domain} for single sign-on (platform)",
    "sso.domain_refuse": "refused the college's claim to the email domain {domain} for single sign-on (platform)",
    "sso.member_create": "joined with the role {role} on a first single sign-on",
    "sso.role_change": "was given the role {role} by the identity provider's groups",
    "sso.member_remove": "was removed: in none of the mapped groups at single sign-on",
    "webhook.create": "added the webhook {object}",
    "webhook.update": "changed the webhook {object}",
    "webhook.rotate_secret": "rotated the signing secret of the webhook {object}",
    "webhook.enable": "turned on the webhook {object}",
    "webhook.disable": "turned off the webhook {object}",
    "webhook.delete": "deleted the webhook {object}",
    "webhook.resend": "resent a delivery to the webhook {object}",
    "lti.register": "connected the learning platform {object}",
    "lti.disable": "turned off the learning platform {object}",
    "lti.enable": "turned on the learning platform {object}",
    "lti.link": "placed a badge in a course: {object}",
}

PAGE_SIZE = 50

# The badge classes a member may filter the log by, as (public id, name): badges is a higher layer, so
# it registers the lookup here (BadgesConfig.ready).
BADGE_CHOICES: Registry[Callable[[Membership], list[tuple[str, str]]]] = Registry(
    "the badge classes the audit log can be filtered by (badges)")


def audit_badge_choices(membership: Membership) -> list[tuple[str, str]]:
    return [choice for lookup in BADGE_CHOICES for choice in lookup(membership)]


def mask(identity: str) -> str:
    """A learner as the log shows them: ``l•••@example.org``; another kind of identity keeps its first and
    last two characters."""
    identity = identity.strip()
    if not identity:
        return ""
    local, at, domain = identity.rpartition("@")
    if at and local:
        return f"{local[0]}•••@{domain}"
    return f"{identity[0]}•••{identity[-2:]}" if len(identity) > 4 else "•••"


def sentence(entry: AuditEntry) -> str:
    """What the entry says, after who did it: "revoked First Aid at Work from l•••@example.org: sent to
    the wrong address"."""
    action = entry.action
    data = entry.data if isinstance(entry.data, dict) else {}
    count = data.get("count") or len(data.get("assertions", []))  # a bulk job's entry names the job instead
    if action == "assertion.issue" and count:
        action = "assertion.issue_batch"
    phrase = PHRASES.get(action)
    label = entry.object_label or entry.object_type
    if phrase is None:  # an action with no sentence yet still says what it was and what it named
        text = f"{entry.action.replace('_', ' ').replace('.', ': ')} {label}".strip()
    else:
        words = {k: "unlimited" if v is None else str(v) for k, v in data.items()
                 if isinstance(v, str | int | type(None))}
        try:
            text = phrase.format(**{**words, "object": label, "learner": entry.learner or "a learner", "count": count})
        except KeyError:  # an older entry without the detail its phrase names
            text = f"{entry.action.replace('_', ' ').replace('.', ': ')} {label}".strip()
    reason = data.get("reason")
    if reason:
        text = f"{text}: {reason}"
    elif entry.summary and phrase is None:
        text = f"{text} ({entry.summary})"
    return text


def who(entry: AuditEntry) -> str:
    """Who did it: the staff member's name when the account has one, otherwise the actor's label."""
    user = entry.actor
    if user is not None and user.name:
        return user.name
    return entry.actor_label


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # an actor label: a staff member's email, "API key bp_…", or a system label
    action: str = ""
    badge: str = ""  # a badge class's public id
    since: date | None = None  # the college's days, both included
    until: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def audit_filtered(flt: AuditFilter) -> QuerySet[AuditEntry]:
    """The current tenant's entries that match, newest first."""
    entries = AuditEntry.objects.all()
    if flt.actor:
        entries = entries.filter(actor_label=flt.actor)
    if flt.action:
        entries = entries.filter(action=flt.action)
    if flt.badge:
        entries = entries.filter(badge=flt.badge)
    if flt.since:
        entries = entries.filter(created_at__gte=_day_start(flt.since))
    if flt.until:
        entries = entries.filter(created_at__lt=_day_start(flt.until + timedelta(days=1)))
    return entries.order_by("-id")


_CURSOR_SALT = "issuers.audit.page"
# A batch's entry lists its awards' ids (5,000 for a batch of 5,000: 200 KB). A page's sentences need
# only how many, so PostgreSQL sends the entry without the list and with its length as "count".
_LIGHT_DATA = ("CASE WHEN jsonb_typeof(issuers_auditentry.data -> 'assertions') = 'array' THEN "
               "(issuers_auditentry.data - 'assertions') || jsonb_build_object('count', "
               "jsonb_array_length(issuers_auditentry.data -> 'assertions')) ELSE issuers_auditentry.data END")


def _without_award_lists(entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
    if connection.vendor != "postgresql":
        return entries
    return entries.defer("data").annotate(light_data=RawSQL(_LIGHT_DATA, (), output_field=JSONField()))  # noqa: S611 - a constant


def audit_page(flt: AuditFilter, *, after: str = "", size: int = PAGE_SIZE) -> tuple[list[AuditEntry], str]:
    """One page, and the cursor of the next ('' at the end). The cursor is signed: a page link cannot be
    edited into a scan of ids."""
    entries = _without_award_lists(audit_filtered(flt).select_related("actor"))
    if after:
        try:
            entries = entries.filter(id__lt=int(signing.loads(after, salt=_CURSOR_SALT)))
        except (signing.BadSignature, TypeError, ValueError):
            pass  # a damaged link starts again from the newest
    rows = list(entries[: size + 1])
    for row in rows:
        if hasattr(row, "light_data"):
            row.data = row.light_data
    more = len(rows) > size
    rows = rows[:size]
    return rows, signing.dumps(rows[-1].id, salt=_CURSOR_SALT) if more and rows else ""


def audit_rows(flt: AuditFilter) -> Iterator[list[Any]]:
    """The CSV's rows, read in chunks (an export can be the whole log)."""
    zone = timezone.get_current_timezone()
    for entry in audit_filtered(flt).select_related("actor").iterator(chunk_size=2000):
        yield [timezone.localtime(entry.created_at, zone).strftime("%Y-%m-%d %H:%M:%S"), who(entry),
               entry.actor_label, entry.action, sentence(entry), entry.object_type, entry.object_id,
               entry.learner]


AUDIT_CSV_HEADER = ["when", "who", "actor", "action", "what", "object type", "object id", "learner"]


def audit_entries_prune(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete every college's entries older than ``AUDIT_RETENTION_DAYS``, ``batch`` rows per statement
    (short transactions: the log is being written meanwhile). Returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted = 0
    with unscoped("audit retention: entries older than the retention period, in every college"):
        while True:
            ids = list(AuditEntry.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)
                       [:batch])
            if not ids:
                return deleted
            deleted += AuditEntry.objects.filter(id__in=ids).delete()[0]


def audit_actor_choices(tenant: Tenant) -> list[str]:
    """The people and keys one can filter by: the college's staff and API keys, and the system."""
    labels = [Actor(user=m.user).label for m in Membership.objects.select_related("user").order_by("user__email")]
    labels += [Actor(api_key=k).label for k in ApiKey.objects.order_by("created_at")]
    return [*labels, Actor().label]
