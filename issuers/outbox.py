"""The outbox: every email the platform sends, one row per message (``OutboxEmail``), one way.

Award emails, staff invitations, endorsement requests, expiry reminders and account emails are all
queued here and sent by ``emails_send``:

- a message is a row, ``queued`` from the moment its transaction commits, so a broker that is down
  loses nothing: ``emails_sweep`` (beat) queues again what no worker took;
- a sender only sends rows it claimed with a compare-and-swap (``UPDATE ... SET status = sending,
  claim = <its own> WHERE status = queued``), ``EMAIL_CLAIM_CHUNK`` at a time, over one SMTP
  connection for the whole batch, and records each chunk in a few queries;
- one classifier (``smtp_verdict``) decides what a mail server's answer means, for every kind: a 5xx
  or a message that cannot be written is ``failed`` with the server's words; no connection or a 4xx
  is retried with backoff (``retry_delay``, capped by ``settings.TASK_MAX_COUNTDOWN``) and the rows
  wait ``queued``; a connection that broke while a message was going out, or a worker that died
  while sending (the sweep finds it after ``EMAIL_SENDING_TIMEOUT``), is ``unknown``: it may have
  arrived, so it is never sent again silently; a person decides, with Resend;
- one Resend (``email_resend``): a new message like the old one.

What a message says is written by its *kind* (``EmailKind``), registered by the app that owns it in
its ``AppConfig.ready``, so this layer never imports the layers above. A kind writes its messages
when they are sent (awards, from their assertion; link emails, whose secret link is never stored and
travels only in the task's arguments) or stores them when they are queued (account emails, reminders).
"""

from __future__ import annotations

import logging
import secrets as secrets_module
import smtplib
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from issuers.metrics import emails_counted
from issuers.models import LinkEmail, OutboxEmail, Tenant
from issuers.registry import Registry
from issuers.rows import RowWrites, row_maker, rows_insert
from issuers.scoping import tenant_scope
from issuers.selectors import hash_secret

logger = logging.getLogger(__name__)

Status = OutboxEmail.Status
# Emails claimed and recorded together, for each SMTP connection of a send (``claim_chunk``): one query
# per chunk instead of one per email; a worker killed mid-send leaves at most this many per connection
# as "delivery unknown".
EMAIL_CLAIM_CHUNK = 25
FIRST_RETRY_DELAY = 10
ACCOUNT = "account"  # allauth's emails: no tenant, written when queued (issuers.adapter)
WORKER_DIED = "The worker stopped while sending: the email may or may not have arrived."

Secrets = Mapping[str, str]  # email id → the secret its message carries (a one-time link's token)
Built = EmailMessage | str  # a message to send, or why it is not sent (recorded as failed)


@dataclass(frozen=True)
class EmailKind:
    """What an app's emails need from the outbox. ``build`` writes a batch's messages ({email id: message
    or reason not to send}); without it the message stored in the row is sent. ``ready`` keeps the
    emails that may go now (an award once its image is baked; a link email whose link is still the
    row's): the others stay queued, untouched. ``requeue`` queues again, in its tenant's scope, the emails
    the sweep found stuck (a link email gets a new link); by default they are just enqueued."""

    name: str  # a kind is its name: registering it again (ready() runs twice in tests) changes nothing
    build: Callable[[list[OutboxEmail], Secrets], Mapping[uuid.UUID, Built]] | None = field(default=None, compare=False)
    ready: Callable[[list[OutboxEmail], Secrets], list[OutboxEmail]] | None = field(default=None, compare=False)
    requeue: Callable[[list[OutboxEmail]], None] | None = field(default=None, compare=False)
    # The stored message carries a secret (a sign-in code, a password-reset link): forget it once it has
    # gone out (or may have), so the database does not keep a usable secret after the send.
    secret_content: bool = field(default=False, compare=False)


# Filled in by each app's AppConfig.ready() (issuers.registry: the one way a lower layer hears from the
# layers above): the sender and the sweep find each kind's code here, never by importing it.
EMAIL_KINDS: Registry[EmailKind] = Registry("kinds of email: how each is written, made ready and queued again")


# Told, after each chunk a sender recorded, of the emails that went out (``sent``) or were refused
# (``failed``), with their status and error set: webhooks reports award emails delivered or not. Called in the
# sender's process, right after the rows are recorded; a listener that fails loses its report, not the send.
EMAIL_OUTCOMES: Registry[Callable[[list[OutboxEmail]], None]] = Registry(
    "told of the emails a sender recorded as sent or failed")


# What a kind's ``build`` keeps from one chunk of a send to the next (``send_scratch``): one dict per call of
# ``emails_send``, so a badge's email is written once per send, not once per chunk of 100.
_SCRATCH: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("outbox_send_scratch", default=None)


def send_scratch(kind: str) -> dict[str, Any]:
    """A dict the ``build`` of ``kind`` may keep what it wrote in, for the rest of this ``emails_send`` call
    (its chunks are built one after another in its thread); outside a send, a fresh one each time."""
    scratch = _SCRATCH.get()
    return {} if scratch is None else scratch.setdefault(kind, {})


def email_kind(name: str) -> EmailKind | None:
    return next((kind for kind in EMAIL_KINDS if kind.name == name), None)


# --- queuing -----------------------------------------------------------------------------------------

def message_content(message: EmailMessage) -> dict[str, Any]:
    """An ``EmailMessage`` as JSON, to be sent later as it is (``stored_message``)."""
    return {"subject": message.subject, "body": message.body, "from_email": message.from_email,
            "to": list(message.to), "cc": list(message.cc), "bcc": list(message.bcc),
            "reply_to": list(message.reply_to), "headers": dict(message.extra_headers),
            "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])]}


def stored_message(email: OutboxEmail) -> EmailMultiAlternatives:
    data = email.content
    message = EmailMultiAlternatives(subject=data["subject"], body=data["body"], from_email=data["from_email"],
                                     to=data["to"], cc=data.get("cc"), bcc=data.get("bcc"),
                                     reply_to=data.get("reply_to"), headers=data.get("headers"))
    for content, mimetype in data.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    return message


def email_new(*, kind: str, to: str, tenant: Tenant | None = None, message: EmailMessage | None = None,
              now: datetime | None = None, pk: uuid.UUID | None = None) -> OutboxEmail:
    """An unsaved row (see ``emails_create`` for many at once). A batch passes its one ``now``: two
    ``timezone.now()`` calls per row (each reads ``settings.USE_TZ`` through the lazy settings) were a
    tenth of building a cohort's email rows; and may pass the row's id (``issuers.rows.random_ids``)."""
    if now is None:
        now = timezone.now()
    return _EMAILS.new(kind=kind, to=to[:320], tenant_id=tenant.pk if tenant is not None else None,
                       content=message_content(message) if message is not None else {},
                       created_at=now, updated_at=now, **({"id": pk} if pk is not None else {}))


_EMAILS = row_maker(OutboxEmail)


def emails_create(emails: list[OutboxEmail], *, into: RowWrites | None = None) -> None:
    """Insert new rows (from ``email_new``); a cohort's award emails go in one COPY, part of its recording
    budget. The ids are the rows' own UUIDs. With ``into`` they are stored with the caller's other rows,
    when it executes them (a single award's five rows in one statement)."""
    if into is not None:
        into.insert(_EMAILS, emails)
    else:
        rows_insert(_EMAILS, emails)


def email_queue(*, kind: str, to: str, tenant: Tenant | None = None, message: EmailMessage | None = None,
                secret: str | None = None) -> OutboxEmail:
    """Record one message and send it once the transaction commits. Never fails for want of a broker: the
    row stays queued for the sweep."""
    email = email_new(kind=kind, to=to, tenant=tenant, message=message)
    email.save(force_insert=True)
    email_enqueue_on_commit(email, secret=secret)
    return email


def email_enqueue_on_commit(email: OutboxEmail, *, secret: str | None = None) -> None:
    tenant_id, email_id = email.tenant_id, str(email.pk)
    secrets = {email_id: secret} if secret is not None else None
    transaction.on_commit(lambda: emails_enqueue(tenant_id=tenant_id, email_ids=[email_id], secrets=secrets))


def emails_enqueue(*, tenant_id: int | None, email_ids: Sequence[str], secrets: Secrets | None = None,
                   queue: str | None = None) -> None:
    """Hand the send to a worker; never raises: with the broker down the rows stay queued for the sweep."""
    from issuers.tasks import emails_send_platform, emails_send_tenant

    kwargs: dict[str, Any] = {"email_ids": [str(pk) for pk in email_ids], "secrets": dict(secrets or {})}
    task = emails_send_platform if tenant_id is None else emails_send_tenant
    if tenant_id is not None:
        kwargs["tenant_id"] = tenant_id
    try:
        task.apply_async(kwargs=kwargs, queue=queue)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep queues the emails again from the database
        logger.warning("Broker unavailable: %d emails left for the outbox sweep", len(email_ids), exc_info=True)


def email_cancel(email: OutboxEmail | None) -> bool:
    """Drop a message that has not gone out yet (an award revoked, a link replaced). One being sent goes."""
    return email is not None and OutboxEmail.objects.filter(pk=email.pk, status=Status.QUEUED).delete()[0] > 0


def email_resend(email: OutboxEmail, *, secret: str | None = None, replace_queued: bool = False) -> OutboxEmail:
    """Resend: a new message like ``email``, queued to go once the transaction commits. While ``email``
    is still on its way that is refused, unless the new one replaces it (a new link makes the queued
    message's link useless: it is dropped). The caller points its row at the new message."""
    current = OutboxEmail.objects.filter(pk=email.pk).values_list("status", flat=True).first()
    if current in {Status.QUEUED, Status.SENDING}:
        if not replace_queued:
            raise ValidationError("The email is already on its way.")
        email_cancel(email)
    return email_queue(kind=email.kind, to=email.to, tenant=email.tenant, secret=secret,
                       message=stored_message(email) if email.content else None)


def account_emails_delete(*, addresses: Sequence[str]) -> int:
    """Forget the account emails sent to these addresses (a learner deleting their account)."""
    return OutboxEmail.objects.filter(tenant=None, kind=ACCOUNT, to__in=list(addresses)).delete()[0]


# --- what a mail server's answer means -----------------------------------------------------------------

RETRY, FAILED, UNKNOWN = "retry", "failed", "unknown"


@dataclass(frozen=True)
class Verdict:
    outcome: str  # RETRY: not delivered, may work later; FAILED: will not work; UNKNOWN: may have arrived
    reason: str  # what the person who sent it is told


def smtp_verdict(exc: BaseException, *, connected: bool = True) -> Verdict:
    """The one reading of an error raised while sending a message (``connected``) or connecting."""
    if not connected:  # nothing went out
        return Verdict(RETRY, f"The mail server could not be reached: {_text(exc)}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        refused = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())[:300]
        if codes and min(codes) < 500:
            return Verdict(RETRY, f"The mail server said to try later: {refused}")
        return Verdict(FAILED, f"The mail server refused the address: {refused}")
    if isinstance(exc, smtplib.SMTPResponseException):  # sender or data refused, with an SMTP code
        if exc.smtp_code >= 500:
            return Verdict(FAILED, f"The mail server refused it: {exc.smtp_code} {_text(exc.smtp_error)}")
        return Verdict(RETRY, f"The mail server said to try later: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        return Verdict(UNKNOWN, f"The connection broke while sending ({_text(exc)}): the email may or may not "
                                "have arrived.")
    if isinstance(exc, ValueError):  # an address or header Python cannot write
        return Verdict(FAILED, f"The email could not be written: {_text(exc)}")
    return Verdict(FAILED, f"The email could not be sent: {_text(exc)}")


def _text(value: Any) -> str:
    error = getattr(value, "smtp_error", value)
    if isinstance(error, bytes):
        error = error.decode(errors="replace")
    return (str(error) or type(value).__name__)[:300]


def retry_delay(tries: int) -> int:
    """Seconds before try ``tries + 1``: 10 s doubling, never beyond ``TASK_MAX_COUNTDOWN``."""
    return int(min(settings.TASK_MAX_COUNTDOWN, FIRST_RETRY_DELAY * 2 ** max(0, tries - 1)))


# --- sending -------------------------------------------------------------------------------------------

class MailUnavailable(Exception):
    """Sending stopped on a temporary failure: the unsent rows are queued again, dated ``delay`` on."""

    def __init__(self, reason: str, delay: int) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass
class _Outcome:
    sent: list[uuid.UUID] = field(default_factory=list)
    failed: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    unknown: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    unsent: list[uuid.UUID] = field(default_factory=list)  # claimed but not tried: queued again
    stopped: str = ""  # why sending stopped early (a temporary failure or a broken connection)


def emails_send(email_ids: Sequence[str | uuid.UUID], *, secrets: Secrets | None = None, tries: int = 1,
                last_try: bool = False, check_ready: bool = True) -> dict[str, int]:
    """Send the queued emails among ``email_ids`` over one SMTP connection, each at most once. Returns how
    many were sent, failed and unknown. On a temporary failure the unsent rows go back to ``queued``
    dated at the retry and ``MailUnavailable`` is raised, or, on the ``last_try``, they are failed.
    ``check_ready=False`` when the caller knows every one may go (the pipeline, right after baking)."""
    ids = [uuid.UUID(str(pk)) for pk in dict.fromkeys(email_ids)]
    secrets = secrets or {}
    counts = {"sent": 0, "failed": 0, "unknown": 0}
    size = claim_chunk()
    scratch = _SCRATCH.set({})
    with _Connections(settings.EMAIL_CONNECTIONS) as mail:
        try:
            for start in range(0, len(ids), size):
                chunk = ids[start:start + size]
                if check_ready:
                    chunk = _ready(chunk, secrets)
                claim, claimed = _claim(chunk)
                if not claimed:
                    continue
                try:
                    mail.open(wanted=-(-len(claimed) // EMAIL_CLAIM_CHUNK))
                except (OSError, smtplib.SMTPException) as exc:
                    stop = _stop(ids, claim, [e.pk for e in claimed], smtp_verdict(exc, connected=False),
                                 tries, last_try)
                    raise stop or _GaveUp() from exc
                outcome = _send_chunk(mail, claimed, secrets)
                _record(claim, outcome)
                _tell_outcomes(claimed, outcome)
                _forget_secrets(claimed, outcome)
                counts["sent"] += len(outcome.sent)
                counts["failed"] += len(outcome.failed)
                counts["unknown"] += len(outcome.unknown)
                if outcome.stopped:  # a temporary failure, or a broken connection: the rest waits for a retry
                    stop = _stop(ids, claim, outcome.unsent, Verdict(RETRY, outcome.stopped), tries, last_try)
                    if stop is not None:
                        raise stop
                    break
        except _GaveUp:
            pass
        finally:
            _SCRATCH.reset(scratch)
    return counts


def claim_chunk() -> int:
    """Emails one sender claims at once: ``EMAIL_CLAIM_CHUNK`` for each of its connections."""
    return EMAIL_CLAIM_CHUNK * max(1, settings.EMAIL_CONNECTIONS)


class _Connections:
    """Up to ``most`` SMTP connections of one send, opened as the batch needs them. A message waits for
    four replies of the server (MAIL, RCPT, DATA, the end of the data) and the sender is idle meanwhile,
    so a cohort's emails go out over several connections at once, each from a thread of its own (the
    waits release the GIL; writing the messages stays in the calling thread). The first connection
    must open; a server that refuses another (a limit per client) leaves the send with those it has."""

    def __init__(self, most: int) -> None:
        self.most = max(1, most)
        self.open_ones: list[Any] = []
        self.limited = False
        self._threads: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Connections:
        return self

    def open(self, *, wanted: int) -> None:
        while len(self.open_ones) < min(wanted, self.most) and not self.limited:
            connection = get_connection()
            try:
                connection.open()
            except (OSError, smtplib.SMTPException):
                if not self.open_ones:
                    raise
                logger.info("The mail server refused connection %d: sending over %d", len(self.open_ones) + 1,
                            len(self.open_ones), exc_info=True)
                self.limited = True
                break
            self.open_ones.append(connection)

    def each(self, parts: list[list[tuple[OutboxEmail, EmailMessage]]]) -> list[_Outcome]:
        """Send ``parts[i]`` over connection ``i``, all at once; the outcome of each."""
        if len(parts) == 1:
            return [_send_part(self.open_ones[0], parts[0])]
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=self.most - 1, thread_name_prefix="smtp")
        later = [self._threads.submit(_send_part, self.open_ones[i], part) for i, part in enumerate(parts[1:], 1)]
        return [_send_part(self.open_ones[0], parts[0]), *(future.result() for future in later)]

    def __exit__(self, *exc: object) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        for connection in self.open_ones:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):  # a broken connection may not even say goodbye
                logger.debug("Closing the SMTP connection failed", exc_info=True)


class _GaveUp(Exception):
    pass


def _ready(ids: list[uuid.UUID], secrets: Secrets) -> list[uuid.UUID]:
    rows = list(OutboxEmail.objects.filter(pk__in=ids, status=Status.QUEUED))
    keep: set[uuid.UUID] = set()
    for name in {row.kind for row in rows}:
        of_kind = [row for row in rows if row.kind == name]
        kind = email_kind(name)
        keep.update(row.pk for row in (kind.ready(of_kind, secrets) if kind and kind.ready else of_kind))
    return [pk for pk in ids if pk in keep]


def _claim(ids: list[uuid.UUID]) -> tuple[uuid.UUID, list[OutboxEmail]]:
    """Compare-and-swap ``queued → sending`` under a claim of this call's own: only it sends those rows."""
    claim, now = uuid.uuid4(), timezone.now()
    if not ids:
        return claim, []
    OutboxEmail.objects.filter(pk__in=ids, status=Status.QUEUED).update(
        status=Status.SENDING, claim=claim, started_at=now, updated_at=now, attempts=F("attempts") + 1)
    order = {pk: n for n, pk in enumerate(ids)}
    claimed = list(OutboxEmail.objects.filter(pk__in=ids, claim=claim, status=Status.SENDING))
    return claim, sorted(claimed, key=lambda e: order[e.pk])


def _build(claimed: list[OutboxEmail], secrets: Secrets) -> dict[uuid.UUID, Built]:
    messages: dict[uuid.UUID, Built] = {}
    for name in dict.fromkeys(e.kind for e in claimed):
        of_kind = [e for e in claimed if e.kind == name]
        kind = email_kind(name)
        try:
            if kind is not None and kind.build is not None:
                messages.update(kind.build(of_kind, secrets))
            else:
                messages.update({e.pk: stored_message(e) if e.content else "There is nothing to send."
                                 for e in of_kind})
        except Exception as exc:  # noqa: BLE001 - a template or data error: recorded where a person looks
            logger.exception("Writing %s emails failed", name)
            messages.update({e.pk: f"The email could not be written: {_text(exc)}" for e in of_kind})
    return messages


def _send_chunk(mail: _Connections, claimed: list[OutboxEmail], secrets: Secrets) -> _Outcome:
    """Write the chunk's messages, then send them over the open connections, a run of them on each."""
    outcome, messages = _Outcome(), _build(claimed, secrets)
    ready: list[tuple[OutboxEmail, EmailMessage]] = []
    for email in claimed:
        message = messages.get(email.pk, "There is nothing to send.")
        if isinstance(message, str):
            outcome.failed.append((email.pk, message))
        else:
            ready.append((email, message))
    if not ready:
        return outcome
    count = min(len(mail.open_ones), len(ready))
    step = -(-len(ready) // count)
    for part in mail.each([ready[start:start + step] for start in range(0, len(ready), step)]):
        outcome.sent += part.sent
        outcome.failed += part.failed
        outcome.unknown += part.unknown
        outcome.unsent += part.unsent
        outcome.stopped = outcome.stopped or part.stopped
    return outcome


def _send_part(mail: Any, part: list[tuple[OutboxEmail, EmailMessage]]) -> _Outcome:
    """Send over one connection, in order, until the first failure that is not this message's alone."""
    outcome = _Outcome()
    for index, (email, message) in enumerate(part):
        try:
            mail.send_messages([message])
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            verdict = smtp_verdict(exc)
            if verdict.outcome == FAILED:
                outcome.failed.append((email.pk, verdict.reason))
                continue
            rest = [e.pk for e, _ in part[index + 1:]]
            if verdict.outcome == UNKNOWN:
                # Never resent silently; the rest of the part was not tried.
                outcome.unknown.append((email.pk, verdict.reason))
                outcome.unsent += rest
                outcome.stopped = f"The connection to the mail server broke: {_text(exc)}"
            else:
                outcome.unsent += [email.pk, *rest]
                outcome.stopped = verdict.reason
            break
        else:
            outcome.sent.append(email.pk)
    return outcome


def _record(claim: uuid.UUID, outcome: _Outcome) -> None:
    """One update for the sent rows; failures are rare and get one each. Only rows of this claim."""
    now = timezone.now()
    mine = OutboxEmail.objects.filter(claim=claim, status=Status.SENDING)
    if outcome.sent:
        sent = mine.filter(pk__in=outcome.sent).update(
            status=Status.SENT, sent_at=now, error="", claim=None, updated_at=now)
        emails_counted(Status.SENT, sent)
    for pk, error in outcome.failed:
        emails_counted(Status.FAILED, mine.filter(pk=pk).update(status=Status.FAILED, error=error, claim=None,
                                                                updated_at=now))
    for pk, error in outcome.unknown:
        emails_counted(Status.UNKNOWN, mine.filter(pk=pk).update(status=Status.UNKNOWN, error=error, claim=None,
                                                                 updated_at=now))


def _tell_outcomes(claimed: list[OutboxEmail], outcome: _Outcome) -> None:
    status = {pk: Status.SENT for pk in outcome.sent} | {pk: Status.FAILED for pk, _ in outcome.failed}
    errors = dict(outcome.failed)
    done = [email for email in claimed if email.pk in status]
    if not done:
        return
    for email in done:
        email.status, email.error = status[email.pk], errors.get(email.pk, "")
    for listener in EMAIL_OUTCOMES:
        try:
            listener(done)
        except Exception:  # noqa: BLE001 - the emails are sent and recorded; only the report is lost
            logger.exception("Telling %r about %d emails failed", listener, len(done))


def _forget_secrets(claimed: list[OutboxEmail], outcome: _Outcome) -> None:
    # A refused message keeps its content for Resend; one that went out (or may have) needs it no more.
    done = {*outcome.sent, *(pk for pk, _ in outcome.unknown)}
    secret = {name for name in {e.kind for e in claimed} if (kind := email_kind(name)) and kind.secret_content}
    forget = [e.pk for e in claimed if e.kind in secret and e.pk in done]
    if forget:
        OutboxEmail.objects.filter(pk__in=forget, status__in=[Status.SENT, Status.UNKNOWN]).update(content={})


def _stop(ids: list[uuid.UUID], claim: uuid.UUID, unsent: list[uuid.UUID], verdict: Verdict, tries: int,
          last_try: bool) -> Exception | None:
    """A temporary failure: the claimed rows not tried, and every other queued row of this send, wait for
    the retry (dated at it, so the sweep does not start a second chain meanwhile), or fail on the last try.
    Returns what to raise, if anything is left to send."""
    now = timezone.now()
    waiting = OutboxEmail.objects.filter(pk__in=unsent, claim=claim, status=Status.SENDING)
    queued = OutboxEmail.objects.filter(pk__in=ids, status=Status.QUEUED)
    if last_try:
        reason = f"{verdict.reason} Gave up after {tries} tries."
        for rows in (waiting, queued):
            emails_counted(Status.FAILED, rows.update(status=Status.FAILED, error=reason, claim=None, updated_at=now))
        return _GaveUp(reason)
    delay = retry_delay(tries)
    later = now + timedelta(seconds=delay)
    left = waiting.update(status=Status.QUEUED, error=verdict.reason, claim=None, updated_at=later)
    left += queued.update(error=verdict.reason, updated_at=later)
    return MailUnavailable(verdict.reason, delay) if left else None


# --- the sweep -----------------------------------------------------------------------------------------

def emails_sweep() -> dict[str, int]:
    """Periodic (beat): mark as "delivery unknown" the emails whose worker died while sending, and queue
    again, through their kind, the queued ones no worker took (broker down, message lost)."""
    now = timezone.now()
    counts = {"unknown": 0, "requeued": 0}
    counts["unknown"] = OutboxEmail.objects.filter(
        status=Status.SENDING, started_at__lt=now - timedelta(seconds=settings.EMAIL_SENDING_TIMEOUT),
    ).update(status=Status.UNKNOWN, error=WORKER_DIED, claim=None, updated_at=now)
    emails_counted(Status.UNKNOWN, counts["unknown"])
    cutoff = now - timedelta(seconds=settings.PIPELINE_STUCK_AFTER)
    stuck = OutboxEmail.objects.filter(status=Status.QUEUED, updated_at__lt=cutoff)
    ids = list(stuck.order_by("updated_at").values_list("pk", flat=True)[:5000])
    # Compare-and-swap on updated_at: a sender or another sweep that touched a row meanwhile keeps it.
    stuck.filter(pk__in=ids).update(updated_at=now)
    taken = list(OutboxEmail.objects.filter(pk__in=ids, status=Status.QUEUED, updated_at=now))
    groups: dict[tuple[int | None, str], list[OutboxEmail]] = {}
    for email in taken:
        groups.setdefault((email.tenant_id, email.kind), []).append(email)
    for (tenant_id, name), emails in groups.items():
        kind = email_kind(name)
        if tenant_id is None:
            emails_enqueue(tenant_id=None, email_ids=[str(e.pk) for e in emails])
        else:
            with tenant_scope(Tenant.objects.get(pk=tenant_id)):
                if kind is not None and kind.requeue is not None:
                    kind.requeue(emails)
                else:
                    emails_enqueue(tenant_id=tenant_id, email_ids=[str(e.pk) for e in emails])
        counts["requeued"] += len(emails)
    return counts


# --- link emails: a one-time link of which only a hash is stored -------------------------------------

def link_token_new() -> tuple[str, str]:
    """A new secret token for a link, and the hash that is stored."""
    token = secrets_module.token_urlsafe(32)
    return token, hash_secret(token)


def _manager(model: type[LinkEmail]) -> models.Manager[Any]:
    """``model.objects``, typed loosely: the lookups here name fields that every concrete link email adds
    (``token_hash``, ``accepted_at``, ``revoked_at``, ``expires_at``, ``email``), which ``LinkEmail`` lacks."""
    return model._default_manager


def link_email_kind(model: type[LinkEmail], message: Callable[[Any, str], EmailMessage]) -> EmailKind:
    """The kind of a model whose rows carry a one-time link (invitations, endorsement requests): the message
    is written when sent, with the token from the task's arguments, and only while that token is still the
    row's link and the row is usable. The sweep gives a stuck one a new link (nobody holds the old one)."""

    def live() -> models.QuerySet[Any]:
        return _manager(model).filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())

    def rows_of(emails: list[OutboxEmail]) -> dict[uuid.UUID, Any]:
        return {row.mail_id: row for row in live().select_related("tenant").filter(mail_id__in=[e.pk for e in emails])}

    def current(row: Any, email: OutboxEmail, secrets: Secrets) -> bool:
        token = secrets.get(str(email.pk))
        return token is not None and row.token_hash == hash_secret(token)

    def ready(emails: list[OutboxEmail], secrets: Secrets) -> list[OutboxEmail]:
        rows = rows_of(emails)
        return [e for e in emails if e.pk in rows and current(rows[e.pk], e, secrets)]

    def build(emails: list[OutboxEmail], secrets: Secrets) -> dict[uuid.UUID, Built]:
        rows = rows_of(emails)
        return {e.pk: message(rows[e.pk], secrets[str(e.pk)]) if e.pk in rows and current(rows[e.pk], e, secrets)
                else "The link was replaced, used, withdrawn or expired before its email went out." for e in emails}

    def requeue(emails: list[OutboxEmail]) -> None:
        rows = rows_of(emails)
        gone = [e.pk for e in emails if e.pk not in rows]
        OutboxEmail.objects.filter(pk__in=gone, status=Status.QUEUED).update(
            status=Status.FAILED, updated_at=timezone.now(),
            error="Not sent: the link was used, withdrawn or expired before a worker could send it.")
        for email in emails:
            if email.pk in rows:
                token, token_hash = link_token_new()
                _manager(model).filter(pk=rows[email.pk].pk).update(token_hash=token_hash)
                emails_enqueue(tenant_id=email.tenant_id, email_ids=[str(email.pk)], secrets={str(email.pk): token})

    return EmailKind(name=model.EMAIL_KIND, build=build, ready=ready, requeue=requeue)


def link_email_queue(row: LinkEmail, token: str) -> OutboxEmail:
    """Queue the email of a new row carrying the link for ``token``; it goes once the transaction commits."""
    row_any: Any = row
    email = email_queue(kind=row.EMAIL_KIND, to=row_any.email, tenant=row_any.tenant, secret=token)
    _manager(type(row)).filter(pk=row.pk).update(mail=email)
    row.mail = email
    return email


def link_email_resend(row: LinkEmail, *, expires_at: datetime) -> str:
    """A new link for ``row`` (the old one stops working), valid until ``expires_at``, and a new message
    carrying it (one still queued with the old link is dropped). Returns the new token."""
    token, token_hash = link_token_new()
    _manager(type(row)).filter(pk=row.pk).update(token_hash=token_hash, expires_at=expires_at)
    row_any: Any = row
    row_any.token_hash, row_any.expires_at = token_hash, expires_at
    if row.mail is None:
        link_email_queue(row, token)
        return token
    email = email_resend(row.mail, secret=token, replace_queued=True)
    _manager(type(row)).filter(pk=row.pk).update(mail=email)
    row.mail = email
    return token
