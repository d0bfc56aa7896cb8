"""Webhook work waits for the pipeline: on the Redis broker a worker takes from the webhooks queue only when
no bake or email is queued (badgeplatform.queues.PipelineFirst), so a cohort's events are recorded and sent
after its awards are baked and emailed; yet webhook work that has waited WORKER_BACKGROUND_MAX_WAIT seconds
behind a busy pipeline goes next, so it never starves (a real worker, one pool process, Redis)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db.models import Count, Max, Min

from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from tests.support.servers import SmtpSink, Worker, broker_purge, wait_for
from webhooks.models import EventType, WebhookDelivery
from webhooks.services import endpoint_create

WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_TIMEOUT_SECONDS": "3"}
EVENTS = [EventType.AWARD_ISSUED, EventType.EMAIL_DELIVERED]


@pytest.fixture
def queued_first(tmp_path):
    """A worker started on work queued before it (the ``start_worker`` fixture purges the broker on start)."""
    broker_purge()
    workers: list[Worker] = []

    def start(**kwargs) -> Worker:
        workers.append(Worker(log_dir=tmp_path, **kwargs).start())
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def mis(tenant_a, alice, receiver):
    with tenant_scope(tenant_a):
        endpoint, receiver.secret = endpoint_create(tenant=tenant_a, url=receiver.url, events=EVENTS, actor=alice)
    return endpoint


def _cohort(tenant, badge, count: int) -> None:
    with tenant_scope(tenant):
        assertion_issue(badge_class=badge, recipients=[Recipient(identity=f"learner{n}@example.org")
                                                       for n in range(count)])


def _emails_sent(tenant) -> dict:
    with tenant_scope(tenant):
        return OutboxEmail.objects.filter(kind=Assertion.EMAIL_KIND, status=OutboxEmail.Status.SENT).aggregate(
            count=Count("pk"), last=Max("sent_at"))


def _deliveries(tenant) -> dict:
    with tenant_scope(tenant):
        return WebhookDelivery.objects.aggregate(first_recorded=Min("created_at"), first_sent=Min("delivered_at"),
                                                 last_sent=Max("delivered_at"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"),
                    reason="Redis only: the queue order is the Redis transport's (make test sets none up; CI does)")
def test_a_cohorts_events_are_recorded_and_sent_after_its_awards_are_baked_and_emailed(
        tenant_a, badge, mis, receiver, sink, queued_first):
    count = 2 * settings.PIPELINE_BATCH_SIZE + 50  # three bake-and-email tasks on the bulk queue
    _cohort(tenant_a, badge, count)  # queued before the worker starts: it finds webhook and pipeline work waiting
    worker = queued_first(smtp_port=sink.port, env=WORKER_ENV)

    wait_for(lambda: len(receiver.ids()) == 2 * count, timeout=120, alive=worker.assert_alive,
             message=f"not every event arrived:\n{worker.log()}")
    assert receiver.refused() == []
    assert max(receiver.ids().values()) == 1  # each event once
    emails, deliveries = _emails_sent(tenant_a), _deliveries(tenant_a)
    assert emails["count"] == count
    # Nothing of the webhooks queue ran until the last email was sent: not the recording of the awards'
    # events (queued first, by the awards' commit), not their sending.
    assert deliveries["first_recorded"] > emails["last"], (deliveries, emails)
    assert deliveries["first_sent"] > emails["last"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_webhook_work_that_waited_long_enough_goes_before_a_busy_pipeline(tenant_a, badge, mis, receiver,
                                                                          queued_first):
    smtp = SmtpSink(delay=0.02).start()  # 200 emails a task: about 4 s each
    try:
        count = 4 * settings.PIPELINE_BATCH_SIZE  # about 16 s of sending
        _cohort(tenant_a, badge, count)
        worker = queued_first(smtp_port=smtp.port, env={**WORKER_ENV, "WORKER_BACKGROUND_MAX_WAIT": "2"})

        wait_for(lambda: len(receiver.ids()) == 2 * count, timeout=180, alive=worker.assert_alive,
                 message=f"not every event arrived:\n{worker.log()}")
        assert max(receiver.ids().values()) == 1
        emails, deliveries = _emails_sent(tenant_a), _deliveries(tenant_a)
        assert emails["count"] == count
        # Webhook work ran between the cohort's tasks (one webhook task each time it had waited 2 s), not
        # only once the last email was sent.
        assert deliveries["first_recorded"] < emails["last"], (deliveries, emails)
    finally:
        smtp.stop()
