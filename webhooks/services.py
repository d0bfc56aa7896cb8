"""Webhooks: endpoints a college registers, events recorded as deliveries, and the sender (README "Webhooks").

- An event becomes one ``WebhookDelivery`` per endpoint subscribed to it, written in one bulk insert per
  batch (``events_record``), in the transaction of what it reports where it can be, and sent by a worker
  after commit on the ``webhooks`` queue.
- A sender only sends rows it claimed with a compare-and-swap (``pending → sending``), a chunk at a time,
  through the verifier's safe fetching rules (``verification.fetch.Poster``, one kept-alive connection per
  chunk: checked addresses, a hard deadline per delivery). A 2xx is delivered; anything else is tried again
  with backoff (``retry_delay``) up to
  ``WEBHOOK_MAX_ATTEMPTS`` times; an endpoint that cannot be reached holds back the rest of its chunk.
- An endpoint failing for ``WEBHOOK_DISABLE_AFTER_DAYS`` is disabled and the college's admins are emailed
  (the outbox's ``webhook_disabled`` kind). The sweep (beat) queues what is due and frees rows of a sender
  that died (they are sent again with the same ``webhook-id``: at least once, never lost).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from assertions.models import Assertion, BulkJob
from issuers.context import ActorLike
from issuers.dates import public_timestamp
from issuers.keys import decrypt_secret, encrypt_secret
from issuers.models import Membership, OutboxEmail, Role, Tenant
from issuers.outbox import email_queue
from issuers.scoping import current_tenant_id, tenant_scope, unscoped
from issuers.services import audit_record
from pathways.models import PathwayCompletion
from verification.fetch import FetchError, Poster, destination_check
from verification.models import VerificationEvent
from webhooks import payloads, signing
from webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
EMAIL_KIND = "webhook_disabled"
CLAIM_CHUNK = 100  # deliveries claimed and recorded together (fewer round trips per delivery)
SEND_LIMIT = 500  # deliveries one task sends before it queues itself again, so other endpoints get a turn
MAX_RETRY_SECONDS = 12 * 3600
EXPIRED_LOOKBACK = timedelta(days=2)  # the expiry scan runs hourly; this covers a beat that was down a while


# --- endpoints --------------------------------------------------------------------------------------

def endpoint_url_check(url: str) -> str:
    """The URL a college may register: https (http too where private addresses are allowed, for tests and
    closed networks), no credentials, and a host that does not point inside our network."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationError("That is not a URL.") from exc
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise ValidationError("The endpoint must be an https:// URL.")
    if not parts.hostname:
        raise ValidationError("The URL has no host name.")
    if parts.username or parts.password:
        raise ValidationError("Put no user name or password in the URL: deliveries are signed instead.")
    try:
        destination_check(url, allow_private=allow_private, seconds=settings.WEBHOOK_TIMEOUT_SECONDS)
    except FetchError as exc:
        raise ValidationError(str(exc).replace("the verifier does not fetch from there", "deliveries are not "
                                                                                         "sent there")) from exc
    return url


def events_check(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in EventType.values]
    if unknown:
        raise ValidationError(f"Unknown event {unknown[0]!r}: choose from {', '.join(EventType.values)}.")
    if not chosen:
        raise ValidationError("Choose at least one event.")
    return chosen


@transaction.atomic
def endpoint_create(*, tenant: Tenant, url: str, events: Iterable[str], description: str = "",
                    actor: ActorLike = None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (``whsec_...``), which is returned and stored encrypted."""
    secret = signing.secret_new()
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url=endpoint_url_check(url), events=events_check(events), description=description.strip()[:200],
        secret_encrypted=encrypt_secret(secret.encode()), created_by=_user(actor))
    audit_record(tenant=tenant, action="webhook.create", actor=actor, obj=endpoint, summary=f"Webhook {endpoint.url}",
                 data={"events": endpoint.events})
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, url: str | None = None, events: Iterable[str] | None = None,
                    description: str | None = None, actor: ActorLike = None) -> WebhookEndpoint:
    changed: list[str] = []
    if url is not None and url.strip() != endpoint.url:
        endpoint.url, changed = endpoint_url_check(url), [*changed, "url"]
    if events is not None:
        endpoint.events, changed = events_check(events), [*changed, "events"]
    if description is not None:
        endpoint.description, changed = description.strip()[:200], [*changed, "description"]
    if changed:
        endpoint.save(update_fields=changed)
        audit_record(tenant=endpoint.tenant, action="webhook.update", actor=actor, obj=endpoint,
                     summary=f"Webhook {endpoint.url} changed", data={"changed": changed})
    return endpoint


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return decrypt_secret(endpoint.secret_encrypted).decode()


def endpoint_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one during its overlap."""
    found = [endpoint_secret(endpoint)]
    if (endpoint.previous_secret_encrypted and endpoint.previous_secret_until
            and endpoint.previous_secret_until > timezone.now()):
        found.append(decrypt_secret(endpoint.previous_secret_encrypted).decode())
    return found


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: ActorLike = None) -> str:
    """A new secret; the old one keeps signing beside it for ``WEBHOOK_SECRET_OVERLAP_HOURS``."""
    secret = signing.secret_new()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_until = timezone.now() + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret_encrypted = encrypt_secret(secret.encode())
    endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_until"])
    audit_record(tenant=endpoint.tenant, action="webhook.rotate_secret", actor=actor, obj=endpoint,
                 summary=f"Secret of webhook {endpoint.url} rotated")
    return secret


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint, actor: ActorLike = None) -> WebhookEndpoint:
    """Enable a disabled endpoint again: what waited is sent, from now on."""
    if endpoint.disabled_at is None:
        return endpoint
    endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "failing_since"])
    now = timezone.now()
    WebhookDelivery.objects.filter(endpoint=endpoint, status=Status.PENDING).update(next_attempt_at=now)
    audit_record(tenant=endpoint.tenant, action="webhook.enable", actor=actor, obj=endpoint,
                 summary=f"Webhook {endpoint.url} enabled")
    _enqueue_on_commit(endpoint.tenant_id, [endpoint.pk])
    return endpoint


@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str = "Disabled by an admin.",
                     actor: ActorLike = None) -> WebhookEndpoint:
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(
        disabled_at=timezone.now(), disabled_reason=reason[:300])
    endpoint.refresh_from_db()
    if updated:
        audit_record(tenant=endpoint.tenant, action="webhook.disable", actor=actor, obj=endpoint,
                     summary=f"Webhook {endpoint.url} disabled: {reason}"[:300])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor: ActorLike = None) -> None:
    audit_record(tenant=endpoint.tenant, action="webhook.delete", actor=actor, obj=endpoint,
                 summary=f"Webhook {endpoint.url} deleted")
    endpoint.delete()


def _user(actor: ActorLike) -> Any:
    from issuers.context import Actor

    return Actor.of(actor).user


# --- events -----------------------------------------------------------------------------------------

def subscribed(*, tenant_id: int, event_type: str) -> list[WebhookEndpoint]:
    """The tenant's endpoints that chose ``event_type`` (a college has a handful: filtered here). A disabled
    one is included: its events wait, unsent, until it is enabled again, so a pause loses nothing."""
    return [e for e in endpoints_of(tenant_id) if event_type in e.events]


def endpoints_of(tenant_id: int) -> list[WebhookEndpoint]:
    with _scope(tenant_id):
        return list(WebhookEndpoint.objects.filter(tenant_id=tenant_id))


def events_record(*, tenant_id: int, event_type: str, items: Sequence[tuple[str, dict[str, Any]]],
                  endpoints: list[WebhookEndpoint] | None = None) -> int:
    """Record ``items`` (each a key naming the event's subject, and the event's ``data``) as deliveries to
    every endpoint subscribed to ``event_type``: one bulk insert, sent after commit. An event recorded twice
    (a task told again) is kept once per endpoint. Returns the number of rows written."""
    endpoints = subscribed(tenant_id=tenant_id, event_type=event_type) if endpoints is None else endpoints
    if not endpoints or not items:
        return 0
    now = timezone.now()
    stamp = public_timestamp(now)
    rows = [WebhookDelivery(id=uuid.uuid4(), tenant_id=tenant_id, endpoint=endpoint, event_type=event_type,
                            event_key=f"{event_type}:{key}"[:120], next_attempt_at=now, created_at=now,
                            payload={"type": event_type, "timestamp": stamp, "data": data})
            for endpoint in endpoints for key, data in items]
    with _scope(tenant_id):
        WebhookDelivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    _enqueue_on_commit(tenant_id, [e.pk for e in endpoints if e.disabled_at is None])
    return len(rows)


def awards_issued(*, assertion_ids: list[int]) -> int:
    """Told by assertions (``ANNOUNCED["issued"]``) in the worker, a batch at a time: one insert per batch."""
    tenant_id = current_tenant_id()
    assert tenant_id is not None  # a TenantTask
    endpoints = subscribed(tenant_id=tenant_id, event_type=EventType.AWARD_ISSUED)
    if not endpoints:
        return 0
    awards = payloads.awards_of(assertion_ids)
    return events_record(tenant_id=tenant_id, event_type=EventType.AWARD_ISSUED, endpoints=endpoints,
                         items=[(str(a.public_id), payloads.award_data(a)) for a in awards])


def award_event(*, assertion: Assertion, event_type: str, key: str | None = None,
                extra: dict[str, Any] | None = None) -> int:
    """One award's event (revoked, claimed, verified, expired...)."""
    endpoints = subscribed(tenant_id=assertion.tenant_id, event_type=event_type)
    if not endpoints:
        return 0
    with _scope(assertion.tenant_id):
        (fresh,) = payloads.awards_of([assertion.pk]) or [assertion]
    data = {**payloads.award_data(fresh), **(extra or {})}
    return events_record(tenant_id=assertion.tenant_id, event_type=event_type, endpoints=endpoints,
                         items=[(key or str(assertion.public_id), data)])


def award_claimed(*, assertion: Assertion) -> int:
    """The learner claimed the award (called by the backpack, in the claim's transaction)."""
    return award_event(assertion=assertion, event_type=EventType.AWARD_CLAIMED)


def award_emails_done(emails: list[OutboxEmail]) -> None:
    """Told by the outbox (``EMAIL_OUTCOMES``) of emails just recorded sent or failed, in the email task: only
    looks whether the college has an endpoint for them (one query per college and chunk) and hands the rest
    to ``award_emails_record`` on the webhooks queue, so the email task does no webhook work. Like any
    listener's, a report lost here (the broker down) loses the events, never the emails."""
    from webhooks.tasks import award_emails_record as task

    awards = [e for e in emails if e.kind == Assertion.EMAIL_KIND and e.tenant_id is not None]
    for tenant_id in {e.tenant_id for e in awards if e.tenant_id is not None}:
        of_tenant = [e for e in awards if e.tenant_id == tenant_id]
        wanted = {EventType.EMAIL_DELIVERED: OutboxEmail.Status.SENT, EventType.EMAIL_FAILED: OutboxEmail.Status.FAILED}
        chosen = {event for endpoint in endpoints_of(tenant_id) for event in endpoint.events}
        outcomes = {event: [[str(e.pk), e.to, e.error or ""] for e in of_tenant if e.status == status]
                    for event, status in wanted.items() if event in chosen}
        outcomes = {event: items for event, items in outcomes.items() if items}
        if outcomes:
            task.apply_async(kwargs={"tenant_id": tenant_id, "outcomes": outcomes})


def award_emails_record(*, outcomes: dict[str, list[list[str]]]) -> int:
    """The ``award.email_delivered`` / ``award.email_failed`` deliveries of a chunk of award emails (each
    ``[email id, to, error]``), in the webhooks queue's task: one query and one insert per event type."""
    tenant_id = current_tenant_id()
    assert tenant_id is not None  # a TenantTask
    written = 0
    for event_type, emails in outcomes.items():
        endpoints = subscribed(tenant_id=tenant_id, event_type=event_type)
        if not endpoints:
            continue
        of_email = {uuid.UUID(pk): (to, error) for pk, to, error in emails}
        rows = list(payloads.awards().filter(mail_id__in=list(of_email)))
        items = [(str(a.mail_id), {**payloads.award_data(a), "email": {
            "to": of_email[a.mail_id][0], "error": of_email[a.mail_id][1] or None}}) for a in rows
            if a.mail_id is not None]
        written += events_record(tenant_id=tenant_id, event_type=event_type, endpoints=endpoints, items=items)
    return written


def award_verified(event: VerificationEvent) -> None:
    """Told by verification (``VERIFIED``) of one of our badges verified: once per visitor and day."""
    if event.tenant_id is None or event.assertion_public_id is None:
        return
    if not subscribed(tenant_id=event.tenant_id, event_type=EventType.AWARD_VERIFIED):
        return
    with _scope(event.tenant_id):
        assertion = Assertion.objects.filter(public_id=event.assertion_public_id).first()
    if assertion is not None:
        award_event(assertion=assertion, event_type=EventType.AWARD_VERIFIED, key=f"{event.pk}",
                    extra={"verification": {"verdict": event.verdict, "source": event.source,
                                            "at": public_timestamp(event.created_at)}})


def pathway_completed(completions: Sequence[PathwayCompletion]) -> None:
    """Told by pathways (``COMPLETED``) of completions of one pathway, in their transaction."""
    if completions and subscribed(tenant_id=completions[0].tenant_id, event_type=EventType.PATHWAY_COMPLETED):
        events_record(tenant_id=completions[0].tenant_id, event_type=EventType.PATHWAY_COMPLETED,
                      items=[(str(c.public_id), payloads.completion_data(c)) for c in completions])


def bulk_job_finished(*, job: BulkJob) -> int:
    return events_record(tenant_id=job.tenant_id, event_type=EventType.BULK_JOB_FINISHED,
                         items=[(str(job.public_id), payloads.bulk_job_data(job))])


def awards_expired_record(*, now: Any = None) -> int:
    """Hourly (beat): awards that expired lately, as ``award.expired``, once each (the event key)."""
    now = now or timezone.now()
    with unscoped("webhook expiry scan: which colleges have an endpoint for expired awards"):
        tenant_ids = {e.tenant_id for e in WebhookEndpoint.objects.all() if EventType.AWARD_EXPIRED in e.events}
    written = 0
    for tenant_id in sorted(tenant_ids):
        with _scope(tenant_id):
            expired = (payloads.awards().filter(revoked=False, expires__lte=now, expires__gt=now - EXPIRED_LOOKBACK)
                       .order_by("pk"))
            for start in range(0, expired.count(), 1000):
                chunk = list(expired[start:start + 1000])
                with transaction.atomic():
                    written += events_record(tenant_id=tenant_id, event_type=EventType.AWARD_EXPIRED,
                                             items=[(str(a.public_id), payloads.award_data(a)) for a in chunk])
    return written


class _scope:  # noqa: N801 - used as a context manager, like tenant_scope
    """The tenant's scope, unless the caller is already in it (a task, a request): no query then."""

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id
        self._inner: Any = None

    def __enter__(self) -> None:
        if current_tenant_id() != self.tenant_id:
            self._inner = tenant_scope(Tenant.objects.get(pk=self.tenant_id))
            self._inner.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._inner is not None:
            self._inner.__exit__(*exc)


# --- sending ----------------------------------------------------------------------------------------

def retry_delay(attempts: int) -> int:
    """Seconds after failed try number ``attempts``: ``WEBHOOK_FIRST_RETRY_SECONDS``, times 4 each try, at
    most 12 hours (30 s, 2 min, 8 min, 32 min, 2 h 8 min, 8 h 32 min, then 12 h: about two days in all)."""
    return int(min(MAX_RETRY_SECONDS, settings.WEBHOOK_FIRST_RETRY_SECONDS * 4 ** max(0, attempts - 1)))


def sending_timeout() -> timedelta:
    """A claim older than this belongs to a sender that died (a chunk's every deadline, and a margin)."""
    return timedelta(seconds=CLAIM_CHUNK * settings.WEBHOOK_TIMEOUT_SECONDS + 60)


def deliveries_enqueue(*, tenant_id: int, endpoint_ids: Iterable[int]) -> None:
    """Hand the sending to a worker; never raises: with the broker down the sweep queues it later."""
    from webhooks.tasks import webhook_deliveries_send

    for endpoint_id in dict.fromkeys(endpoint_ids):
        try:
            webhook_deliveries_send.apply_async(kwargs={"tenant_id": tenant_id, "endpoint_id": endpoint_id},
                                                queue="webhooks")
        except Exception:  # noqa: BLE001 - any broker failure: the rows wait for the sweep
            logger.warning("Broker unavailable: webhook deliveries of endpoint %s left for the sweep", endpoint_id,
                           exc_info=True)


def _enqueue_on_commit(tenant_id: int, endpoint_ids: list[int]) -> None:
    transaction.on_commit(lambda: deliveries_enqueue(tenant_id=tenant_id, endpoint_ids=endpoint_ids))


def _claim(endpoint: WebhookEndpoint) -> tuple[uuid.UUID, list[WebhookDelivery]]:
    """Compare-and-swap ``pending → sending`` of the endpoint's oldest due rows, under this call's claim: one
    ``UPDATE ... RETURNING`` (PostgreSQL; SQLite 3.35+), the rows a concurrent sender holds skipped on
    PostgreSQL. The outer ``status`` test is the swap: a row another sender claimed first is not returned."""
    claim, now = uuid.uuid4(), timezone.now()
    meta, quote = WebhookDelivery._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    columns = ", ".join(quote(str(f.column)) for f in meta.concrete_fields)
    # The due rows are chosen once, in a materialized CTE: a plain "id IN (SELECT ... LIMIT)" may be scanned
    # again for each row updated, and each scan then finds rows past the limit (the claimed ones no longer pending).
    sql = (f"WITH due AS MATERIALIZED (SELECT id FROM {table} WHERE tenant_id = %s AND endpoint_id = %s "  # noqa: S608
           f"AND status = %s AND next_attempt_at <= %s ORDER BY created_at, id LIMIT %s{skip_locked}) "
           f"UPDATE {table} SET status = %s, claim = %s, claimed_at = %s "
           f"WHERE status = %s AND id IN (SELECT id FROM due) RETURNING {columns}")
    db_claim = meta.get_field("claim").get_db_prep_value(claim, connection)
    db_now = meta.get_field("claimed_at").get_db_prep_value(now, connection)
    params = [endpoint.tenant_id, endpoint.pk, Status.PENDING, db_now, CLAIM_CHUNK,
              Status.SENDING, db_claim, db_now, Status.PENDING]
    claimed = list(WebhookDelivery.objects.raw(sql, params))
    return claim, sorted(claimed, key=lambda d: (d.created_at, d.id))


@dataclass
class _Try:
    delivery: WebhookDelivery
    status: int | None
    error: str
    ms: int
    unreachable: bool = False  # no HTTP answer at all: the endpoint is down, the rest of the chunk waits

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def body_of(delivery: WebhookDelivery) -> bytes:
    """The payload's bytes: the same on every attempt (only the timestamp and signature change)."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def _attempt(poster: Poster, delivery: WebhookDelivery, keys: list[bytes]) -> _Try:
    body = body_of(delivery)
    headers = signing.headers(keys_signing=keys, webhook_id=delivery.webhook_id, timestamp=int(time.time()),
                              body=body)
    headers["User-Agent"] = "BadgePlatform-Webhooks/1.0"
    started = time.monotonic()
    try:
        answer = poster.post(body=body, headers=headers)
    except FetchError as exc:
        ms = int((time.monotonic() - started) * 1000)
        return _Try(delivery, None, _reason(str(exc)), ms, unreachable=True)
    ms = int((time.monotonic() - started) * 1000)
    if 200 <= answer.status < 300:
        return _Try(delivery, answer.status, "", ms)
    if 300 <= answer.status < 400:
        return _Try(delivery, answer.status, "The endpoint answered with a redirect, which is not followed.", ms)
    return _Try(delivery, answer.status, f"The endpoint answered {answer.status}.", ms)


def _reason(error: str) -> str:
    return error.replace("the verifier does not fetch from there", "deliveries are not sent there")[:500]


def deliveries_send(*, endpoint: WebhookEndpoint, limit: int = SEND_LIMIT) -> dict[str, int]:
    """Send the endpoint's due deliveries, oldest first, each claimed before it is sent. Returns counts;
    ``more`` is 1 when due rows are left for another task (``limit`` reached)."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "more": 0}
    endpoint.refresh_from_db()
    if endpoint.disabled_at is not None:
        return counts
    keys = signing.keys(endpoint_secrets(endpoint))  # decoded once for every delivery of this run
    done = 0
    while True:
        if done >= limit:
            counts["more"] = 1
            break
        claim, claimed = _claim(endpoint)
        if not claimed:
            break
        tries: list[_Try] = []
        try:  # one connection kept alive for the claimed batch
            poster: Poster | None = Poster(endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
                                           seconds=settings.WEBHOOK_TIMEOUT_SECONDS)
        except FetchError as exc:  # a URL the fetcher refuses outright: every try of the batch fails alike
            poster, refused = None, str(exc)
        for delivery in claimed:
            outcome = (_attempt(poster, delivery, keys) if poster is not None
                       else _Try(delivery, None, _reason(refused), 0, unreachable=True))
            tries.append(outcome)
            if outcome.unreachable:
                break
        if poster is not None:
            poster.close()
        _record(endpoint, claim, claimed, tries, counts)
        done += len(tries)
        if endpoint.disabled_at is not None or not any(t.ok for t in tries):
            break  # down, or refusing everything: the rest waits for the retries
    return counts


def _record(endpoint: WebhookEndpoint, claim: uuid.UUID, claimed: list[WebhookDelivery], tries: list[_Try],
            counts: dict[str, int]) -> None:
    now = timezone.now()
    mine = WebhookDelivery.objects.filter(claim=claim, status=Status.SENDING)
    delivered = [t for t in tries if t.ok]
    counts["delivered"] += len(delivered)
    if delivered:
        statuses = {t.status for t in delivered}
        for code in statuses:  # one update per status code (nearly always one: 200)
            mine.filter(pk__in=[t.delivery.pk for t in delivered if t.status == code]).update(
                status=Status.DELIVERED, response_status=code, error="", delivered_at=now, last_attempt_at=now,
                attempts=_plus_one(), claim=None)
    later = None
    for t in tries:
        if t.ok:
            continue
        attempts = t.delivery.attempts + 1
        if attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            counts["failed"] += 1
            mine.filter(pk=t.delivery.pk).update(status=Status.FAILED, response_status=t.status, attempts=attempts,
                                                 error=f"{t.error} Gave up after {attempts} tries."[:500],
                                                 last_attempt_at=now, claim=None)
        else:
            counts["retrying"] += 1
            later = now + timedelta(seconds=retry_delay(attempts))
            mine.filter(pk=t.delivery.pk).update(status=Status.PENDING, response_status=t.status, attempts=attempts,
                                                 error=t.error, last_attempt_at=now, next_attempt_at=later, claim=None)
    untried = [d.pk for d in claimed[len(tries):]]
    if untried:  # held back behind an endpoint that cannot be reached: they go with its retry, tries untouched
        mine.filter(pk__in=untried).update(status=Status.PENDING, next_attempt_at=later or now, claim=None)
    WebhookAttempt.objects.bulk_create([
        WebhookAttempt(tenant_id=endpoint.tenant_id, delivery_id=t.delivery.pk, at=now, response_status=t.status,
                       error=t.error, duration_ms=t.ms) for t in tries])
    _health(endpoint, tries[-1].ok if tries else True, now)


def _plus_one() -> Any:
    from django.db.models import F

    return F("attempts") + 1


def _health(endpoint: WebhookEndpoint, last_ok: bool, now: Any) -> None:
    """A success clears the failing streak; a failure starts one, and a streak of days disables the endpoint."""
    if last_ok:
        if endpoint.failing_since is not None or endpoint.last_success_at is None or \
                now - endpoint.last_success_at > timedelta(minutes=1):
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None, last_success_at=now)
            endpoint.failing_since, endpoint.last_success_at = None, now
        return
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
        endpoint.failing_since = now
        return
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    if now - endpoint.failing_since >= timedelta(days=days):
        endpoint_disable_failing(endpoint=endpoint, days=days)


@transaction.atomic
def endpoint_disable_failing(*, endpoint: WebhookEndpoint, days: int) -> bool:
    """Disable an endpoint that has failed every delivery for ``days`` and email the college's admins, once
    (compare-and-swap on ``disabled_at``)."""
    now = timezone.now()
    reason = f"Every delivery failed for {days} days (since {endpoint.failing_since:%d %b %Y %H:%M} UTC)."
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(disabled_at=now,
                                                                                    disabled_reason=reason):
        return False
    endpoint.disabled_at, endpoint.disabled_reason = now, reason
    audit_record(tenant=endpoint.tenant, action="webhook.disable", obj=endpoint, summary=f"Webhook {endpoint.url} "
                 f"disabled: {reason}"[:300])
    admins = Membership.objects.filter(tenant=endpoint.tenant, role=Role.ADMIN).select_related("user")
    for membership in admins:
        email_queue(kind=EMAIL_KIND, to=membership.user.email, tenant=endpoint.tenant,
                    message=_disabled_message(endpoint, membership.user.email))
    return True


def _disabled_message(endpoint: WebhookEndpoint, to: str) -> EmailMessage:
    context = {"endpoint": endpoint, "tenant": endpoint.tenant,
               "url": f"{settings.PUBLIC_BASE_URL}/t/{endpoint.tenant.slug}/settings/webhooks/{endpoint.public_id}/"}
    return EmailMessage(subject=f"Webhook disabled for {endpoint.tenant.name}: {endpoint.url}"[:200],
                        body=render_to_string("webhooks/email/disabled.txt", context),
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[to])


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, actor: ActorLike = None) -> WebhookDelivery:
    """Send a delivery again now, with the same ``webhook-id`` and body, and a fresh set of tries."""
    if delivery.endpoint.disabled_at is not None:
        raise ValidationError("This endpoint is disabled: enable it first.")
    updated = WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=Status.SENDING).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claim=None)
    if not updated:
        raise ValidationError("This delivery is being sent right now.")
    audit_record(tenant=delivery.tenant, action="webhook.resend", actor=actor, obj=delivery.endpoint,
                 summary=f"{delivery.event_type} sent again to {delivery.endpoint.url}"[:300],
                 data={"delivery": delivery.webhook_id})
    _enqueue_on_commit(delivery.tenant_id, [delivery.endpoint_id])
    delivery.refresh_from_db()
    return delivery


def webhooks_sweep() -> dict[str, int]:
    """Periodic (beat): free the rows of a sender that died (pending again, same id), and queue the
    sending of every enabled endpoint with due rows: retries that came due, and new rows whose task the
    broker lost (those only once they are ``PIPELINE_STUCK_AFTER`` old, so a live task is not doubled)."""
    now = timezone.now()
    stuck_after = now - timedelta(seconds=settings.PIPELINE_STUCK_AFTER)
    with unscoped("webhook sweep: finds every college's due deliveries, then sends each in its tenant's task"):
        freed = WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=now - sending_timeout()).update(
            status=Status.PENDING, claim=None, next_attempt_at=now)
        due = set(WebhookDelivery.objects.filter(
            Q(attempts__gt=0) | Q(next_attempt_at__lt=stuck_after),
            status=Status.PENDING, next_attempt_at__lte=now, endpoint__disabled_at=None,
        ).values_list("tenant_id", "endpoint_id").distinct())
    for tenant_id, endpoint_id in sorted(due):
        deliveries_enqueue(tenant_id=tenant_id, endpoint_ids=[endpoint_id])
    return {"freed": freed, "endpoints": len(due)}
