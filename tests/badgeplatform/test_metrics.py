"""/metrics: who may read it, and that it counts requests, awards, emails, verifications and tasks as
they happen (tasks run in this process: the eager fixture; tests/worker/test_metrics_processes.py adds
up real gunicorn and Celery processes)."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from assertions.documents import public_url
from issuers.scoping import tenant_scope
from issuers.services import api_key_create

TOKEN = "metrics-token-for-the-tests-0123456789"
VIEW = "api:badgeclass_assertions"


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.content.decode()) for s in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def test_metrics_are_off_unless_a_token_or_network_is_set(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all-000000"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_answer_an_allowed_network_only(client, settings):
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.1.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403


@pytest.mark.django_db
def test_an_award_through_the_api_is_counted_with_its_request_email_and_tasks(
        client, token, tenant_a, alice, badge_a, eager, sink, django_capture_on_commit_callbacks):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    before = scrape(client)
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        response = client.post(url, json.dumps({"recipient_email": "ann@example.org"}),
                               content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.content
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("badgeplatform_awards_issued_total") == 1
    assert grew("badgeplatform_emails_total", status="sent") == 1
    assert grew("badgeplatform_http_requests_total", view=VIEW, method="POST", status="201") == 1
    assert grew("badgeplatform_http_request_duration_seconds_count", view=VIEW) == 1
    assert grew("badgeplatform_celery_tasks_total", task="assertions.tasks.process_assertions",
                outcome="SUCCESS") == 1
    assert value(after, "badgeplatform_celery_broker_up") == 1
    assert ("badgeplatform_celery_queue_depth", (("queue", "bulk"),)) in after


@pytest.mark.django_db
def test_a_verification_is_counted_by_its_verdict(client, token, tenant_a, badge_a, settings):
    from tests.support import issue_one

    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="ann@example.org", notify=False)
    before = scrape(client)
    response = client.post("/api/v1/verify/", {"url": public_url("assertions", award.public_id)},
                           content_type="application/json")
    assert response.json()["verdict"] == "valid"
    after = scrape(client)
    key = ("badgeplatform_verifications_total", (("source", "api"), ("verdict", "valid")))
    assert after[key] - before.get(key, 0) == 1
