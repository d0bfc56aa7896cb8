"""A real Celery worker delivers webhooks after the award commits, to a real receiver that checks each
delivery with the ``standardwebhooks`` library; a receiver that is down gets every event later, exactly
once per webhook-id, once the sweep finds the retries due."""

from __future__ import annotations

import time

import pytest

from issuers.scoping import tenant_scope
from tests.support import issue_one
from tests.support.servers import wait_for
from webhooks.models import EventType, WebhookDelivery
from webhooks.services import endpoint_create, webhooks_sweep

WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_TIMEOUT_SECONDS": "3",
              "WEBHOOK_FIRST_RETRY_SECONDS": "0"}


@pytest.fixture
def mis(tenant_a, alice, receiver):
    with tenant_scope(tenant_a):
        endpoint, receiver.secret = endpoint_create(tenant=tenant_a, url=receiver.url, events=EventType.values,
                                                    actor=alice)
    return endpoint


def _statuses(tenant) -> list[str]:
    with tenant_scope(tenant):
        return list(WebhookDelivery.objects.values_list("status", flat=True))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_an_award_and_its_email_signed(tenant_a, badge, mis, receiver, sink, start_worker):
    worker = start_worker(smtp_port=sink.port, env=WORKER_ENV)
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge, recipient_identity="learner@example.org")

    wait_for(lambda: receiver.of_type("award.issued") and receiver.of_type("award.email_delivered"), timeout=60,
             alive=worker.assert_alive, message=f"the worker did not deliver both events:\n{worker.log()}")
    assert receiver.refused() == []
    assert receiver.of_type("award.issued")[0]["data"]["award"]["id"] == str(award.public_id)
    wait_for(lambda: _statuses(tenant_a) == ["delivered", "delivered"], timeout=10,
             message="the deliveries were not recorded as delivered")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_is_down_gets_each_event_later_exactly_once(tenant_a, badge, mis, receiver, start_worker):
    receiver.stop()
    worker = start_worker(env=WORKER_ENV)
    with tenant_scope(tenant_a):
        for n in range(5):
            issue_one(badge_class=badge, recipient_identity=f"learner{n}@example.org", notify=False)

    def tried() -> bool:
        with tenant_scope(tenant_a):
            return WebhookDelivery.objects.filter(attempts__gt=0).exists() and WebhookDelivery.objects.count() == 5

    wait_for(tried, timeout=60, alive=worker.assert_alive, message=f"no delivery was tried:\n{worker.log()}")
    time.sleep(3)  # the send tasks queued by the five awards all run (and fail) before the receiver is back
    assert "delivered" not in _statuses(tenant_a)
    receiver.start()  # the MIS is back, on the same address
    assert webhooks_sweep()["endpoints"] == 1  # the retry is due: queued for the worker

    wait_for(lambda: _statuses(tenant_a) == ["delivered"] * 5, timeout=60, alive=worker.assert_alive,
             message=f"the waiting deliveries were not sent once the receiver was back:\n{worker.log()}")
    webhooks_sweep()  # nothing is due any more: nothing is sent twice
    time.sleep(2)
    with tenant_scope(tenant_a):
        ids = {d.webhook_id for d in WebhookDelivery.objects.all()}
    assert receiver.ids() == dict.fromkeys(ids, 1)
