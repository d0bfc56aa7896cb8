"""Production's shape: gunicorn with two workers and a Celery worker. /metrics: each process writes its counts
under PROMETHEUS_MULTIPROC_DIR and any web process adds all of them up. Logs: JSON lines, and the task a
request queued logs that request's id and college."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support.servers import wait_for

TOKEN = "metrics-token-for-the-tests-0123456789"


def _scrape(web) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, _, body = web.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_award_made_in_gunicorn_and_emailed_by_the_worker_is_counted_once_by_every_web_process(
        tenant_a, alice, badge, sink, start_worker, start_web, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": TOKEN, "LOG_FORMAT": "json"}
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    worker = start_worker(smtp_port=sink.port, env=env)
    web = start_web(env=env, workers=2)

    body = json.dumps({"recipient_email": "ann@example.org"}).encode()
    status, headers, answer = web.post(f"/api/v1/badgeclasses/{badge.public_id}/assertions/", body,
                                 {"Authorization": f"Bearer {secret}"})
    assert status == 201, answer
    public_id = json.loads(answer)["id"]
    wait_for(lambda: sink.assertion_ids().get(public_id), timeout=60, message="the award was never emailed")

    task_done = ("badgeplatform_celery_tasks_total",
                 (("outcome", "SUCCESS"), ("task", "assertions.tasks.process_assertions")))

    def counted() -> dict | None:
        # The email can leave before process_assertions returns and its task is counted: wait for both.
        samples = _scrape(web)
        done = (samples.get(("badgeplatform_emails_total", (("status", "sent"),)), 0) == 1
                and samples.get(task_done, 0) >= 1)
        return samples if done else None

    samples = wait_for(counted, timeout=10, message="the worker's email and task were not counted")
    for _ in range(4):  # whichever of gunicorn's two workers answers, the counts are the same
        again = _scrape(web)
        assert again[("badgeplatform_awards_issued_total", ())] == 1
        assert again[("badgeplatform_emails_total", (("status", "sent"),))] == 1
    assert samples[task_done] == 1
    assert samples[("badgeplatform_http_requests_total",
                    (("method", "POST"), ("status", "201"), ("view", "api:badgeclass_assertions")))] == 1

    request_id = headers["x-request-id"]
    (request_line,) = [line for line in _json_lines(web.log_path) if line.get("event") == "request"
                       and line["request_id"] == request_id]
    assert (request_line["view"], request_line["status"], request_line["tenant"]) == (
        "api:badgeclass_assertions", 201, tenant_a.slug)
    assert "/assertions/" in request_line["route"]
    assert str(badge.public_id) not in request_line["route"]
    tasks = [line for line in _json_lines(worker.log_path) if line.get("event") == "task"
             and line["task"] == "assertions.tasks.process_assertions"]
    assert [(t["request_id"], t["tenant"], t["outcome"]) for t in tasks] == [(request_id, tenant_a.slug, "SUCCESS")]


def _json_lines(path) -> list[dict]:
    lines = []
    for text in path.read_text(errors="replace").splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines
