"""A web process killed in the middle of an award made with an ``Idempotency-Key``, then the client's
retry with the same key: one award, one email, and the retry answers as the first would have.

The process is gunicorn's worker, against the test database (PostgreSQL when DATABASE_URL is set, the
SQLite file otherwise), with a real Celery worker sending to an SMTP sink. It dies by ``os._exit`` at a
named point (``badgeplatform.faults``), once; gunicorn starts a new worker for the retry."""

from __future__ import annotations

import json
import time
from http.client import RemoteDisconnected

import pytest

from assertions.models import Assertion
from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support.servers import wait_for


def _award(web, path: str, key: str, secret: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"recipient_email": "ann@example.org", "recipient_name": "Ann"}).encode()
    return web.post(path, body, {"Authorization": f"Bearer {secret}", "Idempotency-Key": key})


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("point", ["idempotency-before-commit", "idempotency-after-commit"])
def test_a_web_process_killed_mid_award_awards_and_emails_once_and_the_retry_replays(
        point, tenant_a, alice, badge, sink, start_worker, start_web, tmp_path):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    start_worker(smtp_port=sink.port)
    marker = tmp_path / "crashed"
    web = start_web(env={"BADGEPLATFORM_TEST_CRASH_AT": f"{point}:{marker}"})
    path = f"/api/v1/badgeclasses/{badge.public_id}/assertions/"

    with pytest.raises((RemoteDisconnected, ConnectionResetError)):  # the process died: no response at all
        _award(web, path, "award-ann-1", secret)
    assert marker.exists(), f"the web process did not die at {point}:\n{web.log()}"

    retried = _award(web, path, "award-ann-1", secret)  # gunicorn's new worker answers the client's retry
    status, headers, body = retried
    assert status == 201, body
    # Killed after the commit: the award and its response were kept together, and the retry replays them.
    # Killed before it: neither was kept, and the retry is the one that awards.
    assert (headers.get("idempotent-replayed") == "true") == (point == "idempotency-after-commit")
    again = _award(web, path, "award-ann-1", secret)
    assert (again[0], again[2], again[1].get("idempotent-replayed")) == (201, body, "true")

    public_id = json.loads(body)["id"]
    wait_for(lambda: sink.assertion_ids().get(public_id), timeout=60, message="the award was never emailed")
    time.sleep(1)  # a second email would arrive now
    assert sink.assertion_ids() == {public_id: 1}
    with tenant_scope(tenant_a):
        assert [str(p) for p in Assertion.objects.values_list("public_id", flat=True)] == [public_id]
