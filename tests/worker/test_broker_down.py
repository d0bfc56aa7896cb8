"""Issuing while Redis is down: the awards are recorded at once with their pending work, and when Redis
is back a worker and the sweep complete everything exactly once. The Redis here is a private
redis-server on a spare port, stopped and started again by the test, never the shared one."""

from __future__ import annotations

import time

import pytest

from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue
from assertions.tasks import pipeline_sweep
from badgeplatform.celery import app
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from tests.support.servers import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_awards_issued_while_the_broker_is_down_complete_exactly_once_when_it_is_back(
        tenant_a, badge, sink, start_worker, broker_is, settings):
    redis = broker_is
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)  # the private Redis answers: the test really points at it
    redis.stop()

    started = time.monotonic()
    with tenant_scope(tenant_a):
        issued = assertion_issue(badge_class=badge, recipients=[
            Recipient(identity=f"learner{n}@example.org", name=f"Learner {n}") for n in range(40)])
    assert time.monotonic() - started < 3, "issuing hung on the dead broker"
    ids = [a.pk for a in issued]
    with tenant_scope(tenant_a):
        recorded = list(Assertion.objects.filter(pk__in=ids))
    assert len(recorded) == 40
    assert {(a.bake_status, a.email_status) for a in recorded} == {
        (Assertion.BakeStatus.PENDING, Assertion.EmailStatus.PENDING)}  # the outbox rows: queued

    redis.start()  # the same port: Redis is back, empty (it saves nothing), the tasks were never queued
    worker = start_worker(smtp_port=sink.port, env={"REDIS_URL": redis.url})
    settings.PIPELINE_STUCK_AFTER = 0
    assert pipeline_sweep()["requeued"] == 40

    def settled() -> bool:
        with tenant_scope(tenant_a):
            return not Assertion.objects.filter(pk__in=ids).exclude(mail__status=OutboxEmail.Status.SENT).exists()

    wait_for(settled, timeout=60, interval=0.2, alive=worker.assert_alive,
             message="the awards were not completed after the broker came back")
    assert pipeline_sweep()["requeued"] == 0
    time.sleep(1)  # anything sent twice would arrive now
    assert sink.assertion_ids() == {str(a.public_id): 1 for a in issued}
    with tenant_scope(tenant_a):
        assert set(Assertion.objects.filter(pk__in=ids).values_list("bake_status", flat=True)) == {
            Assertion.BakeStatus.DONE}
