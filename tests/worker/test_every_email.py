"""Every kind of email goes through the one outbox, so each survives the same failures the same way: award,
staff invitation, endorsement request, expiry reminder, account email and revocation notice, with a real
worker process and a real SMTP sink. Queued while the broker is down, each is sent exactly once after the
sweep; queued while the mail server is down, each waits and is sent exactly once when it is back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assertions.services import assertion_revoke
from assertions.tasks import pipeline_sweep
from backpack.tasks import expiry_reminders_send
from badgeplatform.celery import app
from endorsements.services import endorsement_request_create
from issuers.models import OutboxEmail, Role
from issuers.scoping import tenant_scope
from issuers.services import invitation_create
from issuers.tasks import outbox_sweep
from tests.support import PASSWORD, issue_one
from tests.support.servers import SmtpSink, wait_for

# Who gets which kind: one address each, so the sink tells them apart.
KINDS = {
    "award": "learner@example.org",
    "invitation": "new.tutor@college-a.example",
    "endorsement_request": "hr@acme.example",
    "expiry_reminder": "expiring@example.org",
    "account": "new.learner@example.org",
    "revocation": "revoked@example.org",
}


def queue_one_of_each(client, tenant, badge, admin) -> None:
    with tenant_scope(tenant):
        issue_one(badge_class=badge, recipient_identity=KINDS["award"], recipient_name="Ann")
        invitation_create(tenant=tenant, email=KINDS["invitation"], role=Role.ISSUER, actor=admin)
        endorsement_request_create(badge_class=badge, email=KINDS["endorsement_request"], actor=admin)
        issue_one(badge_class=badge, recipient_identity=KINDS["expiry_reminder"], notify=False,
                        expires=timezone.now() + timedelta(days=10))
        revoked = issue_one(badge_class=badge, recipient_identity=KINDS["revocation"], notify=False)
        assertion_revoke(assertion=revoked, reason="Issued in error", actor=admin, notify_learner=True)
    assert expiry_reminders_send() == 1  # what beat runs every 6 hours
    response = client.post(reverse("account_signup"), {
        "email": KINDS["account"], "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302  # never a 500, whatever is down


def delivered(sink: SmtpSink) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for message in sink.messages:
        (kind,) = [k for k, address in KINDS.items() if address == message["To"]]
        counts[kind] += 1
    return counts


def wait_for_every_kind(sink: SmtpSink, worker, *, sweep: bool = False) -> None:
    def done() -> bool:
        if sweep:  # as beat runs them
            pipeline_sweep()
            outbox_sweep()
        return all(delivered(sink).values())

    wait_for(done, timeout=90, interval=0.5, alive=worker.assert_alive,
             message=f"not every kind of email arrived: {delivered(sink)}")
    time.sleep(2)  # anything sent twice would arrive now
    if sweep:
        pipeline_sweep()
        outbox_sweep()
        time.sleep(2)
    assert delivered(sink) == dict.fromkeys(KINDS, 1)
    assert set(OutboxEmail.objects.values_list("kind", "status")) == {(k, "sent") for k in KINDS}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_kind_of_email_queued_while_the_broker_is_down_is_sent_exactly_once_after_the_sweep(
        client, tenant_a, badge, alice, sink, start_worker, broker_is, settings):
    redis = broker_is
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)  # the private Redis answers: the test really points at it
    redis.stop()

    started = time.monotonic()
    queue_one_of_each(client, tenant_a, badge, alice)
    assert time.monotonic() - started < 20, "queuing hung on the dead broker"
    assert set(OutboxEmail.objects.values_list("kind", "status")) == {(k, "queued") for k in KINDS}

    redis.start()  # back, empty: no task was ever queued
    worker = start_worker(smtp_port=sink.port, env={"REDIS_URL": redis.url})
    settings.PIPELINE_STUCK_AFTER = 0
    wait_for_every_kind(sink, worker, sweep=True)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_kind_of_email_waits_for_a_mail_server_that_is_down_and_is_sent_exactly_once_when_it_is_back(
        client, tenant_a, badge, alice, start_worker):
    mail_server = SmtpSink()  # not started: nothing answers on its port
    worker = start_worker(smtp_port=mail_server.port)
    queue_one_of_each(client, tenant_a, badge, alice)

    def all_tried() -> bool:  # each kind's first try failed and is waiting for its retry, queued
        return set(OutboxEmail.objects.values_list("kind", "status")) == {(k, "queued") for k in KINDS} and all(
            "could not be reached" in e for e in OutboxEmail.objects.values_list("error", flat=True))

    wait_for(all_tried, timeout=60, interval=0.2, alive=worker.assert_alive,
             message=f"the worker did not try every kind: {list(OutboxEmail.objects.values('kind', 'status'))}")
    mail_server.start()  # the retries (10 s on) send them
    try:
        wait_for_every_kind(mail_server, worker)
    finally:
        mail_server.stop()
