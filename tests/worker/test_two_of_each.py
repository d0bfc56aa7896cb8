"""Two web processes and two workers on one PostgreSQL and one Redis behave as one system: an
Idempotency-Key sent to both web processes at once makes one award, and with both workers baking,
sending and sweeping at the same time, every learner gets exactly one email; while they do, the
verifier's rate limit is one count for both web processes, and a revocation made through one shows on
the very next request to either in the public documents both have served (and cached). (More on rate
limits, the cache and the public-document cache across two web processes:
tests/badgeplatform/test_two_web_processes.py.)"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from assertions.models import Assertion
from badgeplatform.celery import app
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support.servers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
LEARNERS = 20
# The workers treat any queued work as stuck at once, so each sweep below races the senders for every row.
SWEEP_EVERYTHING = {"PIPELINE_STUCK_AFTER": "0"}


def award(web, badge, secret: str, n: int, key: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"recipient_email": f"learner{n}@example.org", "recipient_name": f"Learner {n}"}).encode()
    return web.post(f"/api/v1/badgeclasses/{badge.public_id}/assertions/", body,
                    {"Authorization": f"Bearer {secret}", "Idempotency-Key": key})


def award_until_answered(web, badge, secret: str, n: int, key: str) -> tuple[int, bytes]:
    """A client's retry loop: 409 means the other process is still on it."""
    for _ in range(100):
        status, headers, body = award(web, badge, secret, n, key)
        if status != 409:
            return status, body
        time.sleep(float(headers.get("retry-after", "0.1")) or 0.1)
    raise AssertionError("the key stayed in flight")


def test_two_web_processes_and_two_workers_award_and_email_each_learner_exactly_once(
        tenant_a, alice, badge, sink, start_worker, start_web):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    workers = [start_worker(smtp_port=sink.port, env=SWEEP_EVERYTHING) for _ in range(2)]
    webs = [start_web(), start_web()]

    # Every award is sent to both web processes at the same moment with the same key, as a client whose
    # load balancer retried on the other replica would.
    with ThreadPoolExecutor(max_workers=2 * LEARNERS) as pool:
        futures = [[pool.submit(award_until_answered, web, badge, secret, n, f"award-{n}") for web in webs]
                   for n in range(LEARNERS)]
        for _ in range(5):  # meanwhile, both workers sweep the outbox and the pipeline, again and again
            for name in ("issuers.tasks.outbox_sweep", "assertions.tasks.pipeline_sweep"):
                app.send_task(name)
            time.sleep(0.2)
        answers = [[future.result() for future in pair] for pair in futures]
    for first, second in answers:
        assert first[0] == second[0] == 201, (first, second)
        assert first[1] == second[1]  # the second answer replays the first, byte for byte

    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == LEARNERS
        public_ids = {str(p) for p in Assertion.objects.values_list("public_id", flat=True)}

    def everyone_emailed() -> bool:
        for worker in workers:
            worker.assert_alive()
        return set(sink.assertion_ids()) == public_ids

    wait_for(everyone_emailed, timeout=120, message="not every learner was emailed")
    for name in ("issuers.tasks.outbox_sweep", "assertions.tasks.pipeline_sweep"):
        app.send_task(name)  # a last sweep after everything was sent must find nothing to send again
    time.sleep(3)
    assert sink.assertion_ids() == {public_id: 1 for public_id in public_ids}
    with tenant_scope(tenant_a):
        assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxEmail.Status.SENT}


def _revoked_in(status_list: bytes, index: int) -> bool:
    from credentials.statuslist import decode, is_set

    return is_set(decode(json.loads(status_list)["credentialSubject"]["encodedList"]), index)


def test_while_both_workers_work_the_rate_limit_and_the_public_documents_are_one_across_both_web_processes(
        tenant_a, alice, badge, sink, start_worker, start_web):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    workers = [start_worker(smtp_port=sink.port, env=SWEEP_EVERYTHING) for _ in range(2)]
    # One proxy in front (TRUSTED_PROXY_COUNT=1): the client is the last X-Forwarded-For entry.
    one_proxy = {"VERIFY_RATE_LIMIT": "4/day", "TRUSTED_PROXY_COUNT": "1"}
    a, b = start_web(env=one_proxy), start_web(env=one_proxy)
    status, _, body = award(a, badge, secret, 0, "award-0")
    assert status == 201, body
    public_id = json.loads(body)["id"]
    wait_for(lambda: sink.assertion_ids()[public_id] == 1, timeout=120, message="the learner was not emailed")

    ld = {"Accept": "application/ld+json"}
    credential = json.loads(a.get(f"/public/credentials/{public_id}", ld)[2])
    entry = credential["credentialStatus"]
    status_list = "/public/" + entry["statusListCredential"].split("/public/", 1)[1]
    paths = [f"/public/assertions/{public_id}", f"/public/assertions/{public_id}/image", status_list]
    for path in paths:  # built by one process, then served by both (from their copies)
        answers = [web.get(path, ld) for web in (a, b, a, b)]
        assert {(status, body) for status, _, body in answers} == {(200, answers[0][2])}, path
    for name in ("issuers.tasks.outbox_sweep", "assertions.tasks.pipeline_sweep"):
        app.send_task(name)  # the workers sweep while the documents are revoked and read

    revoke = json.dumps({"reason": "Issued in error"}).encode()
    status, _, body = b.post(f"/api/v1/assertions/{public_id}/revoke/", revoke, {"Authorization": f"Bearer {secret}"})
    assert status == 200, body
    for web in (a, b):  # the very next request to either process
        assert web.get(paths[0], ld)[0] == 410
        assert web.get(paths[1])[0] == 404
        assert _revoked_in(web.get(paths[2], ld)[2], int(entry["statusListIndex"]))

    # The verifier's limit: 4 a day for one address in all, two on each process, then both refuse.
    proxied = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}"}  # no count from an earlier run
    assert [web.post("/api/v1/verify/", b"{}", proxied)[0] for web in (a, b, a, b)] == [400] * 4
    assert [web.post("/api/v1/verify/", b"{}", proxied)[0] for web in (a, b)] == [429, 429]
    for worker in workers:
        worker.assert_alive()
    assert sink.assertion_ids()[public_id] == 1  # swept again and again, emailed once
