"""The one outbox (issuers.outbox): one row per message, a compare-and-swap claim, one reading of the mail
server's answers for every kind of email, one Resend, and a sweep that loses nothing. Against real SMTP
servers: an aiosmtpd sink, and a server that hangs up in the middle of a message."""

from __future__ import annotations

import socket
import threading
import uuid
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils import timezone

from assertions.models import Assertion
from assertions.tasks import process_assertions
from backpack.models import ExpiryReminder
from backpack.tasks import expiry_reminders_send
from issuers.models import OutboxEmail, Role
from issuers.outbox import ACCOUNT, MailUnavailable, email_queue, email_resend, emails_send
from issuers.scoping import tenant_scope
from issuers.services import invitation_create
from issuers.tasks import emails_send_tenant, outbox_sweep
from tests.support import broker_down, eager_tasks, emails_sent, issue_one
from tests.support.servers import LeanSmtpSink, SmtpSink

pytestmark = pytest.mark.django_db
Status = OutboxEmail.Status


@pytest.fixture
def badge(badge_a):
    """The shared badge class of College A (tests/conftest.py)."""
    return badge_a


class HangingUpServer:
    """A real SMTP server that takes a message's data and hangs up before answering it: the message may or
    may not have been delivered, which only the receiving side knows."""

    def __init__(self) -> None:
        self.received = 0
        self._socket = socket.create_server(("127.0.0.1", 0))  # a port the kernel picks
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"220 hangs-up.example ESMTP\r\n")
                for line in lines:
                    if line.upper().startswith(b"DATA"):
                        conn.sendall(b"354 go ahead\r\n")
                        for data in lines:
                            if data == b".\r\n":
                                break
                        self.received += 1
                        break  # and hang up, without "250"
                    conn.sendall(b"221 bye\r\n" if line.upper().startswith(b"QUIT") else b"250 ok\r\n")

    def stop(self) -> None:
        self._socket.close()


def test_a_connection_that_breaks_mid_message_is_delivery_unknown_for_every_kind_and_never_retried(
        tenant_a, badge, alice, settings):
    """The same answer means the same thing for every kind: before the outbox, an invitation whose
    connection broke was sent again (a duplicate) while an award was "delivery unknown"."""
    server = HangingUpServer()
    SmtpSink(port=server.port).settings_for(settings)  # point Django's SMTP backend at it
    try:
        with tenant_scope(tenant_a):
            award = issue_one(badge_class=badge, recipient_identity="ann@example.org")
            invitation, url = invitation_create(tenant=tenant_a, email="dana@college-a.example", role=Role.ISSUER,
                                                actor=alice)
        process_assertions(tenant_id=tenant_a.pk, assertion_ids=[award.pk])  # no Retry raised
        token = url.rstrip("/").rsplit("/", 1)[1]
        emails_send_tenant(tenant_id=tenant_a.pk, email_ids=[str(invitation.mail_id)],
                           secrets={str(invitation.mail_id): token})  # no Retry raised either
    finally:
        server.stop()
    assert server.received == 2
    for mail_id in (award.mail_id, invitation.mail_id):
        mail = OutboxEmail.objects.get(pk=mail_id)
        assert mail.status == Status.UNKNOWN
        assert "may or may not have arrived" in mail.error
        assert mail.attempts == 1


def test_only_the_sender_that_claimed_a_row_sends_it(tenant_a, sink):
    mine = email_queue(kind=ACCOUNT, to="ann@example.org", message=EmailMessage("Hi", "Body", to=["ann@example.org"]))
    theirs = email_queue(kind=ACCOUNT, to="ben@example.org",
                         message=EmailMessage("Hi", "Body", to=["ben@example.org"]))
    # Another worker holds ``theirs`` (claimed, sending): this one must not touch it.
    OutboxEmail.objects.filter(pk=theirs.pk).update(status=Status.SENDING, claim=uuid.uuid4(),
                                                    started_at=timezone.now())
    assert emails_send([mine.pk, theirs.pk]) == {"sent": 1, "failed": 0, "unknown": 0}
    assert emails_send([mine.pk, theirs.pk]) == {"sent": 0, "failed": 0, "unknown": 0}  # delivered twice: no-op
    assert [m["To"] for m in sink.messages] == ["ann@example.org"]
    assert OutboxEmail.objects.get(pk=theirs.pk).status == Status.SENDING


def test_an_account_email_forgets_its_secret_once_it_has_gone_out(client, alice, sink,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet sent
        client.post("/accounts/password/reset/", {"email": alice.email})
    mail = OutboxEmail.objects.get(kind=ACCOUNT, to=alice.email)
    assert "/accounts/password/reset/key/" in mail.content["body"]  # kept until it is sent
    assert emails_send([mail.pk]) == {"sent": 1, "failed": 0, "unknown": 0}
    assert "/accounts/password/reset/key/" in sink.messages[0].get_payload()
    mail.refresh_from_db()
    assert (mail.status, mail.content) == (Status.SENT, {})  # the reset link is not kept in the database


def test_an_expiry_reminder_waits_for_a_mail_server_that_is_down_and_goes_once_when_it_is_back(
        tenant_a, badge, sink, django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge, recipient_identity="ann@example.org", notify=False,
                                expires=timezone.now() + timedelta(days=10))
    assert expiry_reminders_send() == 1
    reminder = ExpiryReminder.objects.get(assertion=award)
    sink.stop()  # connection refused: before the outbox, the reminder was lost (recorded, never retried)
    with pytest.raises(Retry):
        emails_send_tenant(tenant_id=tenant_a.pk, email_ids=[str(reminder.mail_id)])
    waiting = OutboxEmail.objects.get(pk=reminder.mail_id)
    assert (waiting.status, waiting.kind) == (Status.QUEUED, "expiry_reminder")
    assert "could not be reached" in waiting.error
    sink.start()
    assert expiry_reminders_send() == 0  # still one reminder per award
    emails_send_tenant(tenant_id=tenant_a.pk, email_ids=[str(reminder.mail_id)])
    emails_send_tenant(tenant_id=tenant_a.pk, email_ids=[str(reminder.mail_id)])
    (message,) = sink.messages
    assert message["To"] == "ann@example.org"
    assert "Safe Scaffolding" in message["Subject"]
    assert OutboxEmail.objects.get(pk=reminder.mail_id).status == Status.SENT


def test_a_reminder_queued_while_the_broker_is_down_is_sent_once_by_the_sweep(
        tenant_a, badge, sink, settings, django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge, recipient_identity="ann@example.org", notify=False,
                        expires=timezone.now() + timedelta(days=10))
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        assert expiry_reminders_send() == 1
    assert list(OutboxEmail.objects.values_list("status", flat=True)) == [Status.QUEUED]
    settings.PIPELINE_STUCK_AFTER = 0
    with emails_sent(django_capture_on_commit_callbacks):
        assert outbox_sweep() == {"unknown": 0, "requeued": 1}
    with emails_sent(django_capture_on_commit_callbacks):
        assert outbox_sweep() == {"unknown": 0, "requeued": 0}
    assert [m["To"] for m in sink.messages] == ["ann@example.org"]


def test_resend_is_a_new_message_refused_while_the_first_is_on_its_way(tenant_a, sink):
    first = email_queue(kind=ACCOUNT, to="ann@example.org", message=EmailMessage("Hi", "Body", to=["ann@example.org"]))
    with pytest.raises(ValidationError, match="already on its way"):
        email_resend(first)
    sink.reply = "550 5.1.1 No such mailbox"
    emails_send([first.pk])
    first.refresh_from_db()
    assert (first.status, first.error) == (Status.FAILED, "The mail server refused it: 550 5.1.1 No such mailbox")
    sink.reply = None
    again = email_resend(first)
    assert again.pk != first.pk
    assert (again.kind, again.to, again.status) == (ACCOUNT, "ann@example.org", Status.QUEUED)
    with eager_tasks():
        emails_send([again.pk])
    assert [m["Subject"] for m in sink.messages] == ["Hi"]
    assert OutboxEmail.objects.get(pk=first.pk).status == Status.FAILED  # the refused one keeps its words


def test_an_award_email_waits_for_its_bake(tenant_a, badge, sink):
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge, recipient_identity="ann@example.org")
    with tenant_scope(tenant_a):  # as the tenant's send task runs
        assert emails_send([award.mail_id]) == {"sent": 0, "failed": 0, "unknown": 0}  # not baked yet
    assert OutboxEmail.objects.get(pk=award.mail_id).status == Status.QUEUED
    process_assertions(tenant_id=tenant_a.pk, assertion_ids=[award.pk])
    with tenant_scope(tenant_a):
        assert Assertion.objects.get(pk=award.pk).email_status == Assertion.EmailStatus.SENT
    assert sink.assertion_ids() == {str(award.public_id): 1}


@pytest.mark.parametrize("connections", [1, 4])
def test_a_batch_goes_out_over_the_configured_number_of_connections_each_email_once(sink, settings, connections):
    settings.EMAIL_CONNECTIONS = connections
    emails = [email_queue(kind=ACCOUNT, to=f"learner{n}@example.org",
                          message=EmailMessage(subject="Hello", body="Hi", to=[f"learner{n}@example.org"]))
              for n in range(120)]
    assert emails_send([e.pk for e in emails]) == {"sent": 120, "failed": 0, "unknown": 0}
    assert len(sink.messages) == 120
    assert sorted(m["To"] for m in sink.messages) == sorted(e.to for e in emails)
    assert len(sink.peers) == connections
    assert set(OutboxEmail.objects.filter(pk__in=[e.pk for e in emails]).values_list("status", flat=True)) == {
        Status.SENT}


def test_a_single_email_opens_a_single_connection(sink, settings):
    settings.EMAIL_CONNECTIONS = 4
    email = email_queue(kind=ACCOUNT, to="one@example.org",
                        message=EmailMessage(subject="Hello", body="Hi", to=["one@example.org"]))
    assert emails_send([email.pk]) == {"sent": 1, "failed": 0, "unknown": 0}
    assert len(sink.peers) == 1


@pytest.fixture
def pipelining_sink(settings):
    """Our SMTP sink offering PIPELINING (RFC 2920), which this process's email settings point at."""
    smtp = LeanSmtpSink().start()
    smtp.settings_for(settings)
    yield smtp
    smtp.stop()


def _account_emails(count: int) -> list[OutboxEmail]:
    return [email_queue(kind=ACCOUNT, to=f"learner{n}@example.org",
                        message=EmailMessage(subject="Hello", body="Hi", to=[f"learner{n}@example.org"]))
            for n in range(count)]


def test_a_pipelining_server_gets_each_email_of_a_batch_once_and_a_refused_address_fails_alone(
        pipelining_sink, settings):
    settings.EMAIL_CONNECTIONS = 4
    pipelining_sink.refuse["learner7@example.org"] = "550 5.1.1 No such mailbox"
    emails = _account_emails(120)
    assert emails_send([e.pk for e in emails]) == {"sent": 119, "failed": 1, "unknown": 0}
    delivered = [to for _, recipients in pipelining_sink.envelopes for to in recipients]
    assert sorted(delivered) == sorted(e.to for e in emails if e.to != "learner7@example.org")
    assert len(pipelining_sink.peers) == 4
    assert pipelining_sink.refused_groups == 0  # every connection pipelined as RFC 2920 allows
    refused = OutboxEmail.objects.get(to="learner7@example.org")
    assert refused.status == Status.FAILED
    assert "refused the address: 550 5.1.1 No such mailbox" in refused.error


def test_a_pipelining_server_saying_try_later_to_an_address_leaves_it_and_the_rest_queued_then_sends_each_once(
        pipelining_sink, settings):
    settings.EMAIL_CONNECTIONS = 1
    pipelining_sink.refuse["learner5@example.org"] = "450 4.2.1 Mailbox busy"
    emails = _account_emails(20)
    ids = [e.pk for e in emails]
    with pytest.raises(MailUnavailable):
        emails_send(ids)
    statuses = dict(OutboxEmail.objects.filter(pk__in=ids).values_list("to", "status"))
    assert [statuses[f"learner{n}@example.org"] for n in range(20)] == [Status.SENT] * 5 + [Status.QUEUED] * 15
    assert "try later: 450 4.2.1 Mailbox busy" in OutboxEmail.objects.get(to="learner5@example.org").error
    pipelining_sink.refuse.clear()  # the mailbox is free again
    assert emails_send(ids, tries=2) == {"sent": 15, "failed": 0, "unknown": 0}
    delivered = [to for _, recipients in pipelining_sink.envelopes for to in recipients]
    assert sorted(delivered) == sorted(e.to for e in emails)  # each once
