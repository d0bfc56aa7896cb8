"""The one way to issue and revoke a badge. The tutor pages, bulk jobs, the API and the admin call these.

Issuing takes a batch (one call, many recipients): one learner from the two-click form is a batch of
one, a 10,000-row CSV is the same call in chunks. Rows are inserted with ``bulk_create`` and the
pipeline (bake, then email) is enqueued after commit, many assertions per task.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assertions import tally
from assertions.emails import revocation_message
from assertions.events import ANNOUNCED
from assertions.models import Announcement, Assertion, BulkJob
from assertions.queue import follow_up_queue
from badges.models import BadgeClass
from issuers.context import Actor, ActorLike, acting
from issuers.dates import moment_from_date
from issuers.metrics import AWARDS_ISSUED
from issuers.models import AuditEntry, OutboxEmail, SigningKey, Tenant
from issuers.outbox import email_cancel, email_new, email_queue, email_resend, emails_create
from issuers.registry import Registry
from issuers.rows import RowWrites, random_ids, row_maker
from issuers.scoping import ScopeError, current_tenant_id, unscoped
from issuers.services import audit_entry_new, audit_record, publication_notify, tenant_require_active

logger = logging.getLogger(__name__)

WRONG_ADDRESS_REASON = "Sent to the wrong address"
WITHDRAWN_AT_REQUEST = "Withdrawn at the learner's request"

# Told the public ids of awards deleted at the learner's request, and the college's name, inside the
# deleting transaction: verification keeps them, so their public URLs answer 410 Gone, not 404.
ERASED: Registry[Callable[..., None]] = Registry("told of awards deleted at the learner's request (verification)")
# The names of the files the layers above keep for an award (credentials: its OB 3.0 baked image), asked
# before an award is deleted at the learner's request, so they are deleted with its own baked image.
AWARD_FILES: Registry[Callable[[Assertion], list[tuple[Any, str]]]] = Registry(
    "the stored files of an award kept by the layers above (credentials)")
_HOLDS = "Already holds"


@dataclass(frozen=True, slots=True)  # a 10,000-row cohort makes 10,000 of these, and as many of the two below
class Recipient:
    """One learner to award. ``row`` is the line in the source file, for error reports."""

    identity: str
    name: str = ""
    # A date is a day in the college's time zone (``issuers.dates``); a datetime is taken as given.
    issued_on: date | datetime | None = None
    expires: date | datetime | None = None
    evidence: tuple[dict[str, str], ...] = ()
    narrative: str = ""
    recipient_type: str = Assertion.RecipientType.EMAIL
    row: int | None = None


@dataclass(slots=True)
class RecipientProblem:
    row: int | None
    identity: str
    error: str
    holds: bool = False  # refused only because the learner already holds the badge (or is in the batch twice)


class AlreadyHolds(ValidationError):
    """Every refused learner already holds the badge: the caller may award again with ``allow_duplicate=True``."""


class LimitReached(PermissionDenied):
    """The college has reached a limit of its plan (badges a month, learners a year): nothing more is
    issued until the platform raises it or the period ends. The API answers 403 with the message."""


@dataclass(slots=True)
class _Checked:
    recipient: Recipient
    identity: str
    issued_on: datetime
    expires: datetime | None
    evidence: list[dict[str, str]] = field(default_factory=list)


def recipient_hash(identity: str, salt: str) -> str:
    """``sha256$`` of the lower-cased identity plus salt, as the reference validator computes it."""
    return "sha256$" + hashlib.sha256((identity.lower() + salt).encode()).hexdigest()


# Plain addresses and web links, the great majority, are taken by these strict patterns, each a subset of
# what Django's validator accepts (tests/assertions/test_recipient_checks.py checks that): the
# validator itself costs ~50 µs an address and ~40 µs a link, a quarter of recording a cohort's award.
# Whatever they do not take goes to the validator, which decides.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,63}}"
_PLAIN_ADDRESS = re.compile(rf"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@{_HOST}")
_PLAIN_LINK = re.compile(rf"https?://{_HOST}(?:[/?#][!-~]*)?")
_PLAIN_MAX = 200  # under every length limit the validators check (address 320, link 2,048, host 253)


def _plain_address(identity: str) -> bool:
    return len(identity) <= _PLAIN_MAX and _PLAIN_ADDRESS.fullmatch(identity) is not None


def _plain_link(url: str) -> bool:
    return len(url) <= _PLAIN_MAX and _PLAIN_LINK.fullmatch(url) is not None


def clean_identity(identity: str, recipient_type: str = Assertion.RecipientType.EMAIL) -> str:
    identity = (identity or "").strip()
    if recipient_type == Assertion.RecipientType.EMAIL:
        identity = identity.lower()
        if not _plain_address(identity):
            EmailValidator(message=f"{identity!r} is not a valid email address.")(identity)
    elif recipient_type == Assertion.RecipientType.URL:
        URLValidator(message=f"{identity!r} is not a valid URL.")(identity)
    elif recipient_type == Assertion.RecipientType.TELEPHONE:
        if not identity.startswith("+") or not identity[1:].isdigit():
            raise ValidationError("Telephone numbers must be in international form, e.g. +447700900123.")
    else:
        raise ValidationError(f"Unknown recipient type {recipient_type!r}.")
    return identity


_WEB_LINK = URLValidator(schemes=["http", "https"])  # one instance: building one per row cost a third of the check


def _check(badge_class: BadgeClass, recipient: Recipient, now: datetime, zone: ZoneInfo) -> _Checked:
    identity = clean_identity(recipient.identity, recipient.recipient_type)
    issued_on = moment_from_date(recipient.issued_on, zone=zone, now=now) or now
    if issued_on > now + timedelta(minutes=5):
        raise ValidationError("The issue date cannot be in the future.")
    expires = moment_from_date(recipient.expires, zone=zone, now=now, end_of_day=True)
    if expires is None and badge_class.validity_days:
        expires = issued_on + timedelta(days=badge_class.validity_days)
    if expires is not None and expires <= issued_on:
        raise ValidationError("The expiry date must be after the issue date.")
    evidence = []
    for item in recipient.evidence:
        url = (item.get("id") or item.get("url") or "").strip()
        if url and not _plain_link(url):
            try:
                _WEB_LINK(url)
            except ValidationError:
                raise ValidationError(f"{url!r} is not a web link (http or https).") from None
        entry = {"id": url, "narrative": (item.get("narrative") or "").strip()}
        entry = {k: v for k, v in entry.items() if v}
        if entry:
            evidence.append(entry)
    return _Checked(recipient, identity, issued_on, expires, evidence)


def _check_all(badge_class: BadgeClass, recipients: Sequence[Recipient], *, allow_duplicate: bool,
               ) -> tuple[list[_Checked], list[RecipientProblem]]:
    """The recipients that may be issued, and a problem for each of the others, by row. The duplicate
    policy: a learner who already holds this badge (any version, not revoked), or who is in the batch
    twice, does not get a second one unless ``allow_duplicate``. One query for the whole batch."""
    now, zone = timezone.now(), badge_class.tenant.zone
    checked: list[_Checked] = []
    problems: list[RecipientProblem] = []
    seen: dict[str, int | None] = {}
    for recipient in recipients:
        try:
            item = _check(badge_class, recipient, now, zone)
        except ValidationError as exc:
            problems.append(RecipientProblem(recipient.row, recipient.identity, " ".join(exc.messages)))
            continue
        if not allow_duplicate and item.identity in seen:
            where = f"on line {seen[item.identity]}" if seen[item.identity] is not None else "in the list"
            problems.append(RecipientProblem(recipient.row, item.identity,
                                             f"Duplicate: {item.identity} is already {where}.", holds=True))
            continue
        seen[item.identity] = recipient.row
        checked.append(item)
    if not allow_duplicate and checked:
        held = holders(badge_class=badge_class, identities=[c.identity for c in checked])
        problems += [RecipientProblem(c.recipient.row, c.identity, f"{_HOLDS} {badge_class.name}.",
                                      holds=True) for c in checked if c.identity in held]
        checked = [c for c in checked if c.identity not in held]
    problems.sort(key=lambda p: p.row or 0)
    return checked, problems


def recipients_check(*, badge_class: BadgeClass, recipients: Sequence[Recipient],
                     allow_duplicate: bool = False) -> list[RecipientProblem]:
    """Every problem that would stop these recipients being issued, without issuing anything; the rows
    past a plan limit of the college are problems too, so a cohort's preview says so before it is sent."""
    checked, problems = _check_all(badge_class, recipients, allow_duplicate=allow_duplicate)
    _, over, refusal = _within_limits(badge_class.tenant, checked, lock=False)
    problems += [RecipientProblem(c.recipient.row, c.identity, refusal) for c in over]
    problems.sort(key=lambda p: p.row or 0)
    return problems


def _refusal(problems: Sequence[RecipientProblem]) -> ValidationError:
    messages = [f"Row {p.row}: {p.error}" if p.row is not None
                else f"{p.identity} a{p.error[1:]}" if p.error.startswith(_HOLDS) else p.error for p in problems]
    if all(p.holds for p in problems):
        return AlreadyHolds(messages, code="already_holds")
    return ValidationError(messages)


def badge_class_require_awardable(badge_class: BadgeClass) -> None:
    if badge_class.tenant_id != current_tenant_id():
        raise PermissionDenied("This badge belongs to another college.")
    tenant_require_active(badge_class.tenant)
    if badge_class.retired_at is not None:
        raise ValidationError(f"{badge_class.name} is retired: it can no longer be awarded.")


def holders(*, badge_class: BadgeClass, identities: Iterable[str]) -> set[str]:
    """Which of these identities already hold this badge (any version of it), not revoked."""
    identities = list(identities)
    versions = _versions(badge_class)
    if connection.vendor == "postgresql":
        return _held_any(badge_class.tenant_id, versions, identities)
    found: set[str] = set()
    for start in range(0, len(identities), 2000):
        found.update(_held(versions, identities[start:start + 2000]))
    return found


_HELD_ANY = ("SELECT recipient_identity FROM assertions_assertion WHERE tenant_id = %s AND badge_class_id = ANY(%s) "
             "AND NOT revoked AND recipient_identity = ANY(%s::varchar[])")


def _held_any(tenant_id: int, versions: list[int], identities: list[str]) -> set[str]:
    """``_held`` on PostgreSQL, with the addresses as one array parameter: an ``IN`` list of 1,000
    placeholders cost more to build, quote and parse (here and in the server) than to answer. The
    same plan (the badge's pattern index, probed once per address); the college named as the scoped
    manager names it."""
    with connection.cursor() as cursor:
        cursor.execute(_HELD_ANY, [tenant_id, versions, identities])
        return {identity for (identity,) in cursor.fetchall()}


def _held(versions: list[int], identities: list[str]) -> QuerySet[Assertion, str]:
    """Unordered (the awards' default order made PostgreSQL sort, or walk the badge's newest awards):
    the badge's pattern index (migration 0016) answers it."""
    return (Assertion.objects.filter(badge_class__in=versions, revoked=False, recipient_identity__in=identities)
            .order_by().values_list("recipient_identity", flat=True))


def _versions(badge_class: BadgeClass) -> list[int]:
    ids, current = [badge_class.pk], badge_class
    while current.previous_version_id:
        ids.append(current.previous_version_id)
        current = BadgeClass.objects.only("pk", "previous_version_id").get(pk=current.previous_version_id)
    return ids


@transaction.atomic
def assertion_issue(
    *,
    badge_class: BadgeClass,
    recipients: Sequence[Recipient],
    verification_type: str | None = None,
    notify: bool = True,
    actor: ActorLike = None,
    bulk_job: BulkJob | None = None,
    replaces: Assertion | None = None,
    problems: list[RecipientProblem] | None = None,
    allow_duplicate: bool = False,
) -> list[Assertion]:
    """Issue ``badge_class`` to every recipient, or to none: a bad row raises ``ValidationError``
    naming it (``AlreadyHolds`` when the only problem is learners who already hold the badge, which
    ``allow_duplicate=True`` overrides). Given a ``problems`` list instead, bad rows are added to it
    and the good ones issued (a bulk job, whose rows were previewed, records them). Checks of the
    tenant, its status and the badge class are made once for the batch."""
    badge_class_require_awardable(badge_class)
    verification_type = verification_type or badge_class.issuer.default_verification
    if verification_type not in Assertion.Verification.values:
        raise ValidationError(f"Verification must be one of {', '.join(Assertion.Verification.values)}.")
    signing_key = None
    if verification_type == Assertion.Verification.SIGNED:
        signing_key = SigningKey.objects.filter(issuer=badge_class.issuer, retired_at=None).first()
        if signing_key is None:
            raise ValidationError(f"{badge_class.issuer.name} has no signing key: rotate one in before signing.")
    checked, found = _check_all(badge_class, recipients, allow_duplicate=allow_duplicate)
    if problems is not None:
        problems.extend(found)
    elif found:
        raise _refusal(found)
    checked, over, refusal = _within_limits(badge_class.tenant, checked)
    if over and problems is None:
        raise LimitReached(refusal)
    if problems is not None:
        problems.extend(RecipientProblem(c.recipient.row, c.identity, refusal) for c in over)
    who = acting(actor)
    tenant = badge_class.tenant
    issued_by_id = who.user.pk if who.user is not None else None
    now = timezone.now()
    common = {"tenant_id": tenant.pk, "badge_class_id": badge_class.pk, "verification_type": verification_type,
              "signing_key_id": signing_key.pk if signing_key is not None else None, "issued_by_id": issued_by_id,
              "bulk_job_id": bulk_job.pk if bulk_job is not None else None,
              "replaces_id": replaces.pk if replaces is not None else None, "created_at": now, "updated_at": now}
    assertions, mails = [], []
    # Each award's public id, its email's id, its salt (16 bytes) and its claim nonce (8), from one call.
    new_ids, secrets_hex = random_ids(len(checked), uuids=2, hex_bytes=24)
    for item, (public_id, email_id), random_hex in zip(checked, new_ids, secrets_hex, strict=True):
        salt = random_hex[:32]
        mail_id = None
        if notify and item.recipient.recipient_type == Assertion.RecipientType.EMAIL:
            mails.append(email_new(kind=Assertion.EMAIL_KIND, to=item.identity, tenant=tenant, now=now, pk=email_id))
            mail_id = email_id
        assertions.append(_ASSERTIONS.new(
            **common,
            public_id=public_id,
            recipient_type=item.recipient.recipient_type,
            recipient_identity=item.identity,
            recipient_name=item.recipient.name.strip()[:200],
            recipient_salt=salt,
            recipient_hash=recipient_hash(item.identity, salt),
            issued_on=item.issued_on,
            expires=item.expires,
            evidence=item.evidence,
            narrative=item.recipient.narrative.strip(),
            mail_id=mail_id,
            claim_nonce=random_hex[32:],
        ))
    by_id = {mail.id: mail for mail in mails}
    for a in assertions:  # what callers read of a new award without another query (the API's answer: its email)
        _TENANT.set_cached_value(a, tenant)
        _BADGE_CLASS.set_cached_value(a, badge_class)
        _MAIL.set_cached_value(a, by_id.get(a.mail_id) if a.mail_id is not None else None)
    # The award emails' outbox rows (queued, sent by the pipeline once baked), the awards, their tally, the
    # audit entry and the announcement: for a small batch on PostgreSQL one statement (issuers.rows).
    writes = RowWrites()
    emails_create(mails, into=writes)
    awarded = writes.insert(_ASSERTIONS, assertions)
    if (tallied := tally.tally_statement(tally.issued_changes(assertions, tenant.zone))) is not None:
        writes.statement(*tallied)
    if (entry := _audit_issue(badge_class, assertions, who, bulk_job)) is not None:
        writes.insert(_AUDIT_ENTRIES, [entry])
    tenant_id = badge_class.tenant_id
    announcement = announcement_new("issued", tenant_id=tenant_id, assertion_ids=[])
    writes.insert(_ANNOUNCEMENTS, [announcement], ids_into={"kwargs": ("assertion_ids", awarded)})
    writes.execute()
    ids = [a.id for a in assertions]
    # One message after the commit carries the batch's follow-up work (bake-then-email, and telling the
    # layers above); the worker fans it out. Three publishes and the announcement's delete were a third
    # of a single award's request. The rows say what is pending: if the message is lost, the sweep
    # queues the bake and the announcement again.
    transaction.on_commit(lambda: follow_up_queue(tenant_id=tenant_id, assertion_ids=ids,
                                                  announcement_id=announcement.pk))
    transaction.on_commit(lambda: AWARDS_ISSUED.inc(len(ids)))
    return assertions


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def period_starts(tenant: Tenant, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The start of the current calendar month and year in the college's time zone: the periods of its
    plan limits and of its usage figures."""
    local = (now or timezone.now()).astimezone(tenant.zone)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return month, month.replace(month=1)


def _within_limits(tenant: Tenant, checked: list[_Checked], *, lock: bool = True,
                   ) -> tuple[list[_Checked], list[_Checked], str]:
    """Split the batch at the college's plan limits: the awards that fit, those that do not, and what
    to tell the tutor. A learner already awarded this year does not count again towards the learners'
    limit. Counted with indexed aggregate queries (tenant, created_at); the tenant row is locked while a
    limit is set, so two concurrent batches cannot both take the last places."""
    month_limit, year_limit = tenant.limit_badges_per_month, tenant.limit_learners_per_year
    if (month_limit is None and year_limit is None) or not checked:
        return checked, [], ""
    if lock:  # issuing: a preview only reads
        Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk").first()
    month_start, year_start = period_starts(tenant)
    fit, refusal = len(checked), ""
    if month_limit is not None:
        used = Assertion.objects.filter(created_at__gte=month_start).count()
        if used + fit > month_limit:
            fit = max(0, month_limit - used)
            refusal = (f"{tenant.name} has reached its limit of {_count(month_limit, 'badge')} a month "
                       f"({used} awarded since {month_start:%-d %B}). Badges already issued are not affected; "
                       "the platform can raise the limit.")
    if year_limit is not None:
        this_year = Assertion.objects.filter(created_at__gte=year_start)
        used = this_year.values("recipient_identity").distinct().count()
        identities = list({c.identity for c in checked[:fit]})
        known: set[str] = set()
        for start in range(0, len(identities), 2000):
            known.update(this_year.filter(recipient_identity__in=identities[start:start + 2000])
                         .order_by().values_list("recipient_identity", flat=True))
        new: set[str] = set()
        for position, item in enumerate(checked[:fit]):
            if item.identity in known or item.identity in new:
                continue
            if used + len(new) >= year_limit:
                fit = position
                refusal = (f"{tenant.name} has reached its limit of {_count(year_limit, 'learner')} a year "
                           f"({used} awarded since {year_start:%-d %B %Y}). Badges already issued are not "
                           "affected; the platform can raise the limit.")
                break
            new.add(item.identity)
    return checked[:fit], checked[fit:], refusal


_ASSERTIONS = row_maker(Assertion)
_TENANT, _BADGE_CLASS = Assertion._meta.get_field("tenant"), Assertion._meta.get_field("badge_class")
_MAIL = Assertion._meta.get_field("mail")


def _audit_issue(badge_class: BadgeClass, assertions: list[Assertion], who: Actor, bulk_job: BulkJob | None,
                 ) -> AuditEntry | None:
    """The batch's entry, unsaved: one entry for one award; one entry for a batch. A batch of a bulk job
    names the job, whose awards point at it (``Assertion.bulk_job``): listing 1,000 ids in each chunk's
    entry was a third of the audit table's growth per award and told nothing the awards do not. Other
    batches list their awards."""
    if not assertions:
        return None
    data: dict[str, Any] = {"bulk_job": str(bulk_job.public_id)} if bulk_job else {}
    if len(assertions) == 1:
        return audit_entry_new(tenant=badge_class.tenant, action="assertion.issue", actor=who, obj=assertions[0],
                               summary=f"{badge_class.name} awarded", data=data)
    if bulk_job is None:
        data["assertions"] = [str(a.public_id) for a in assertions]
    else:
        data["count"] = len(assertions)
    return audit_entry_new(tenant=badge_class.tenant, action="assertion.issue", actor=who, obj=badge_class,
                           badge=badge_class, summary=f"{badge_class.name} awarded to {len(assertions)} learners",
                           data=data)


_AUDIT_ENTRIES, _ANNOUNCEMENTS = row_maker(AuditEntry), row_maker(Announcement)


def announce(event: str, *, tenant_id: int, **kwargs: Any) -> None:
    """Tell the layers above (pathways, ...) about an award event, through the tasks they registered in
    ``assertions.events.ANNOUNCED``: this layer never imports them. Called inside the transaction of the
    change it announces, so the ``Announcement`` row commits with it; its tasks are queued after the
    commit, and a broker or process failure before they all are leaves the row for the pipeline sweep."""
    row = announcement_record(event, tenant_id=tenant_id, **kwargs)
    transaction.on_commit(lambda: announcement_publish(announcement=row))


def announcement_record(event: str, *, tenant_id: int, **kwargs: Any) -> Announcement:
    """The ``Announcement`` row of an event, written in the change's transaction; whoever publishes it
    (``announcement_publish``, here after the commit or in the worker, or the sweep) forgets it once queued."""
    return Announcement.objects.create(tenant_id=tenant_id, event=event, kwargs={"tenant_id": tenant_id, **kwargs})


def announcement_new(event: str, *, tenant_id: int, **kwargs: Any) -> Announcement:
    """The row ``announcement_record`` writes, unsaved, for a service that stores it with its other rows."""
    return _ANNOUNCEMENTS.new(tenant_id=tenant_id, event=event, kwargs={"tenant_id": tenant_id, **kwargs})


def announcement_publish(*, announcement: Announcement) -> bool:
    """Queue the announcement's tasks; once all are queued, forget it. False (and kept) if the broker failed."""
    for task in ANNOUNCED[announcement.event]:
        try:
            task.delay(**announcement.kwargs)
        except Exception:  # noqa: BLE001 - broker down: the row stays for the sweep
            logger.warning("Broker unavailable: %s not yet told about %s", task.name, announcement.event,
                           exc_info=True)
            return False
    try:
        _forget(announcement)
    except (DatabaseError, ScopeError):  # queued but not forgotten: queued again by the sweep, which the tasks can bear
        logger.warning("Announcement %s was queued but could not be deleted", announcement.pk, exc_info=True)
    return True


def announcement_forget(*, tenant_id: int, announcement_id: int) -> None:
    """Forget an announcement whose tasks a worker's fan-out queued (``assertions.tasks.award_follow_up``),
    without entering the tenant's context. A database that fails here leaves it for the sweep."""
    try:
        with unscoped("an award's follow-up forgets its own announcement by id, with no tenant lookup"):
            _forget(Announcement(pk=announcement_id, tenant_id=tenant_id))
    except DatabaseError:
        logger.warning("Announcement %s was queued but could not be deleted", announcement_id, exc_info=True)


def _forget(announcement: Announcement) -> None:
    """Delete a published announcement. Its commit need not wait for the disk (PostgreSQL's asynchronous
    commit): if the server crashed before the delete reached the disk, the sweep would queue its tasks
    again, which they bear. A wait per chunk of a cohort was a tenth of its recording time."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Announcement.objects.filter(pk=announcement.pk, tenant_id=announcement.tenant_id).delete()


@transaction.atomic
def assertion_revoke(*, assertion: Assertion, reason: str, actor: ActorLike = None,
                     notify_learner: bool = False) -> Assertion:
    """Revoke an award with a public reason. ``notify_learner`` also emails the learner the reason,
    through the outbox, once the revocation commits (an award not made to an email address gets none)."""
    if assertion.tenant_id != current_tenant_id():
        raise PermissionDenied("This award belongs to another college.")
    tenant_require_active(assertion.tenant)
    if not reason.strip():
        raise ValidationError("Give a reason: learners and employers see it.")
    if assertion.revoked:
        return assertion
    assertion.revoked = True
    assertion.revocation_reason = reason.strip()[:300]
    assertion.revoked_at = timezone.now()
    fields = ["revoked", "revocation_reason", "revoked_at", "updated_at"]
    if email_cancel(assertion.mail):  # not yet sent: do not send a revoked badge
        assertion.mail = None
        fields.append("mail")
    if notify_learner and assertion.recipient_type == Assertion.RecipientType.EMAIL:
        assertion.revocation_mail = email_queue(kind=Assertion.REVOCATION_EMAIL_KIND, to=assertion.recipient_identity,
                                                tenant=assertion.tenant, message=revocation_message(assertion))
        fields.append("revocation_mail")
    assertion.save(update_fields=fields)
    tally.revoked(assertion, assertion.tenant.zone)
    audit_record(tenant=assertion.tenant, action="assertion.revoke", actor=actor, obj=assertion, summary=reason[:200],
                 data={"learner_emailed": "revocation_mail" in fields, "reason": reason[:200]})
    publication_notify(assertion_ids=[assertion.public_id])  # drops it now and again on commit
    tenant_id, assertion_id = assertion.tenant_id, assertion.pk
    announce("revoked", tenant_id=tenant_id, assertion_id=assertion_id)
    return assertion


@transaction.atomic
def assertion_resend_email(*, assertion: Assertion, actor: ActorLike = None) -> Assertion:
    """Send the award email again: after a failure, an unknown delivery, or because the learner asked."""
    if assertion.tenant_id != current_tenant_id():
        raise PermissionDenied("This award belongs to another college.")
    if assertion.revoked:
        raise ValidationError("This award is revoked: there is nothing to send.")
    if assertion.recipient_type != Assertion.RecipientType.EMAIL:
        raise ValidationError("This award was not made to an email address.")
    locked = Assertion.objects.select_for_update(of=("self",)).select_related("mail").get(pk=assertion.pk)
    if locked.mail is not None:  # the outbox's one Resend: a new message, refused while one is on its way
        mail = email_resend(locked.mail)
    else:  # issued without an email: its first
        mail = email_queue(kind=Assertion.EMAIL_KIND, to=locked.recipient_identity, tenant=locked.tenant)
    Assertion.objects.filter(pk=assertion.pk).update(mail=mail, updated_at=timezone.now())
    audit_record(tenant=assertion.tenant, action="assertion.resend", actor=actor, obj=assertion,
                 summary=f"Email sent again to {assertion.recipient_identity}")
    assertion.refresh_from_db()
    return assertion


@transaction.atomic
def assertion_correct_recipient(*, assertion: Assertion, recipient_identity: str, recipient_name: str | None = None,
                                actor: ActorLike = None) -> Assertion:
    """A mistyped address: revoke the award as sent to the wrong address and issue it to the right one."""
    if assertion.tenant_id != current_tenant_id():
        raise PermissionDenied("This award belongs to another college.")
    if assertion.claimed_at is not None:
        raise ValidationError("The learner has already claimed this badge: revoke it and award it again instead.")
    if assertion.revoked:
        raise ValidationError("This award is already revoked.")
    identity = clean_identity(recipient_identity, assertion.recipient_type)
    if identity == assertion.recipient_identity:
        raise ValidationError("That is the address the badge was already sent to.")
    assertion_revoke(assertion=assertion, reason=WRONG_ADDRESS_REASON, actor=actor)
    recipient = Recipient(
        identity=identity,
        name=assertion.recipient_name if recipient_name is None else recipient_name,
        issued_on=assertion.issued_on, expires=assertion.expires, evidence=tuple(assertion.evidence),
        narrative=assertion.narrative, recipient_type=assertion.recipient_type,
    )
    (corrected,) = assertion_issue(badge_class=assertion.badge_class, recipients=[recipient],
                                    verification_type=assertion.verification_type, actor=actor, replaces=assertion)
    return corrected


def _files_delete(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        storage.delete(name)


@transaction.atomic
def assertion_erase(*, assertion: Assertion, delete: bool, actor: ActorLike = None) -> None:
    """A college admin acts on a learner's erasure request for one award. Withdrawn (``delete=False``):
    revoked with the reason "Withdrawn at the learner's request", and the learner's name, narrative and
    evidence removed from the record; it still verifies, as revoked. Deleted: the award, its emails and
    baked image go, and its public URLs answer 410 Gone (``ERASED``). Either way, audited."""
    if assertion.tenant_id != current_tenant_id():
        raise PermissionDenied("This award belongs to another college.")
    audit_record(tenant=assertion.tenant, action="assertion.erase_delete" if delete else "assertion.erase_withdraw",
                 actor=actor, obj=assertion)
    if not delete:
        if not assertion.revoked:
            assertion_revoke(assertion=assertion, reason=WITHDRAWN_AT_REQUEST, actor=actor)
        Assertion.objects.filter(pk=assertion.pk).update(recipient_name="", narrative="", evidence=[],
                                                          claimed_by=None)
        publication_notify(assertion_ids=[assertion.public_id])
        return
    public_id, college, image, mail_id = assertion.public_id, assertion.tenant.name, assertion.baked_image, \
        assertion.mail_id
    files = [(image.storage, str(image.name))] if image and image.name else []
    for files_of in AWARD_FILES:
        files += files_of(assertion)
    tally.deleted(assertion, assertion.tenant.zone)
    assertion.delete()
    if mail_id is not None:
        OutboxEmail.objects.filter(pk=mail_id).delete()
    transaction.on_commit(lambda: _files_delete(files))
    for tell in ERASED:
        tell(public_ids=[public_id], college=college)
    publication_notify(assertion_ids=[public_id])
