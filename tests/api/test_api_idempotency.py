"""``Idempotency-Key`` on POSTs: a retry replays the first response; 409 while the first is in flight;
422 when the same key comes with a different request."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, close_old_connections, connection
from django.test import RequestFactory
from django.utils import timezone

from assertions.models import Assertion, BulkJob
from badgeplatform.api import request_fingerprint
from issuers.models import IdempotencyKey
from issuers.scoping import tenant_scope


def _award_url(badge):
    return f"/api/v1/badgeclasses/{badge.public_id}/assertions/"


def test_a_retry_with_the_same_key_replays_the_first_response_and_issues_once(api_a, badge_a, tenant_a):
    headers = {"Idempotency-Key": "award-ann-1"}
    first = api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}, headers=headers)
    again = api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1


def test_without_a_key_two_posts_issue_twice(api_a, badge_a, tenant_a):
    for _ in range(2):  # a second award to the same learner is asked for explicitly (the duplicate policy)
        assert api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org",
                                                "allow_duplicate": True}).status_code == 201
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 2


def test_an_error_response_is_replayed_too(api_a, badge_a):
    headers = {"Idempotency-Key": "bad-1"}
    first = api_a.post(_award_url(badge_a), {"recipient_email": "nope"}, headers=headers)
    again = api_a.post(_award_url(badge_a), {"recipient_email": "nope"}, headers=headers)
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def test_the_same_key_with_a_different_body_is_422(api_a, badge_a, tenant_a):
    headers = {"Idempotency-Key": "award-1"}
    api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}, headers=headers)
    response = api_a.post(_award_url(badge_a), {"recipient_email": "ben@example.org"}, headers=headers)
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    with tenant_scope(tenant_a):
        assert list(Assertion.objects.values_list("recipient_identity", flat=True)) == ["ann@example.org"]


def test_the_same_key_on_another_endpoint_is_422(api_a, badge_a, issuer_a):
    headers = {"Idempotency-Key": "k-1"}
    api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}, headers=headers)
    response = api_a.post("/api/v1/issuers/", {"name": "X", "url": "https://x.example", "email": "x@x.example"},
                          headers=headers)
    assert response.status_code == 422


def _writes_award(sql: str) -> bool:
    """The statement inserts an award (a single award's rows are one statement: issuers.rows.RowWrites)."""
    return re.search(rf'INSERT INTO "?{Assertion._meta.db_table}\b', sql) is not None


def _pause_at_award(acting: threading.Event, release: threading.Event):
    """An execute wrapper for this thread's connection: the request stops as it writes the award (inside
    its transaction, holding its key) until the test releases it."""
    def wrapper(execute, sql, params, many, context):
        if _writes_award(sql):
            acting.set()
            release.wait(20)
        return execute(sql, params, many, context)
    return wrapper


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_is_acting_does_not_act(badge_a, tenant_a, new_api_a):
    """On PostgreSQL the retry finds the key's row locked by the first request and answers 409 at once; on
    SQLite the first request holds the database's write lock, so the retry waits for it and replays it."""
    body = b'{"recipient_email": "ann@example.org"}'
    headers = {"Idempotency-Key": "slow-1"}
    acting, release, responses = threading.Event(), threading.Event(), {}

    def send(name: str, pause: bool = False) -> None:
        api = new_api_a()
        try:
            if pause:
                with connection.execute_wrapper(_pause_at_award(acting, release)):
                    responses[name] = api.raw("post", _award_url(badge_a), body, "application/json", headers=headers)
            else:
                responses[name] = api.raw("post", _award_url(badge_a), body, "application/json", headers=headers)
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first", True))
    first.start()
    assert acting.wait(20), "the first request never reached the award"
    retry = threading.Thread(target=send, args=("retry",))
    retry.start()
    if connection.vendor == "postgresql":
        retry.join(10)
        assert responses["retry"].status_code == 409
        assert responses["retry"]["Retry-After"] == "1"
        assert "still being processed" in responses["retry"].json()["detail"]
        release.set()
    else:
        retry.join(0.5)
        assert retry.is_alive(), "the retry did not wait for the first request's transaction"
        release.set()
        retry.join(20)
        first.join(20)
        assert responses["retry"]["Idempotent-Replayed"] == "true"
        assert responses["retry"].content == responses["first"].content
    first.join(20)
    assert responses["first"].status_code == 201
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1
    again = new_api_a().raw("post", _award_url(badge_a), body, "application/json", headers=headers)
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == responses["first"].content


def test_a_key_left_in_flight_by_a_request_that_died_is_taken_over_at_once(api_a, badge_a, tenant_a):
    """A request that died rolled back with its connection: its row, just written, holds no lock, and
    the retry acts (once) without waiting for any timeout."""
    body = b'{"recipient_email": "ann@example.org"}'
    first = RequestFactory().post(_award_url(badge_a), body, content_type="application/json")
    with tenant_scope(tenant_a):
        IdempotencyKey.objects.create(tenant=tenant_a, key="dead-1", fingerprint=request_fingerprint(first),
                                      created_at=timezone.now())
    response = api_a.raw("post", _award_url(badge_a), body, "application/json", headers={"Idempotency-Key": "dead-1"})
    assert response.status_code == 201
    again = api_a.raw("post", _award_url(badge_a), body, "application/json", headers={"Idempotency-Key": "dead-1"})
    assert again.content == response.content
    assert again["Idempotent-Replayed"] == "true"
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1


def test_a_multipart_upload_retried_with_a_new_boundary_is_replayed(api_a, badge_a, tenant_a):
    headers = {"Idempotency-Key": "cohort-2026"}
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/bulk/"
    from django.test.client import encode_multipart

    def send(boundary: str):
        data = {"file": SimpleUploadedFile("c.csv", b"email\nann@example.org\nben@example.org\n")}
        return api_a.raw("post", url, encode_multipart(boundary, data), f"multipart/form-data; boundary={boundary}",
                         headers=headers)

    first, again = send("AaB03x"), send("ZzY98w")
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    with tenant_scope(tenant_a):
        assert BulkJob.objects.count() == 1


def test_keys_belong_to_one_college(api_a, api_b, badge_a, badge_b, tenant_b):
    headers = {"Idempotency-Key": "shared-name"}
    assert api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}, headers=headers).status_code == 201
    response = api_b.post(_award_url(badge_b), {"recipient_email": "ann@example.org"}, headers=headers)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    with tenant_scope(tenant_b):
        assert Assertion.objects.count() == 1


def test_an_overlong_key_is_refused(api_a, badge_a):
    response = api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"},
                          headers={"Idempotency-Key": "k" * 201})
    assert response.status_code == 400
    assert "1 to 200 characters" in response.json()["detail"]


def test_revoke_is_idempotent_with_a_key(api_a, badge_a):
    made = api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}).json()
    url = f"/api/v1/assertions/{made['id']}/revoke/"
    first = api_a.post(url, {"reason": "Wrong learner"}, headers={"Idempotency-Key": "rv-1"})
    again = api_a.post(url, {"reason": "Wrong learner"}, headers={"Idempotency-Key": "rv-1"})
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def _database_lost_at_award():
    """An execute wrapper: as the award is written, the request's database connection is lost. On
    PostgreSQL for real (the backend is terminated, as a restart or failover would); on SQLite, which has
    no server, every later query on that connection fails as if it had. A new connection works."""
    lost = []

    def wrapper(execute, sql, params, many, context):
        db = context["connection"]
        if lost and db.connection is lost[0]:
            raise OperationalError("server closed the connection unexpectedly")
        if not lost and _writes_award(sql):
            lost.append(db.connection)
            if db.vendor == "postgresql":
                context["cursor"].execute("SELECT pg_terminate_backend(pg_backend_pid())")
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db(transaction=True)
def test_a_request_that_lost_its_database_connection_releases_its_key_and_the_retry_acts(
        badge_a, tenant_a, new_api_a):
    api = new_api_a(raise_request_exception=False)
    body = b'{"recipient_email": "ann@example.org"}'
    headers = {"Idempotency-Key": "outage-1"}
    with connection.execute_wrapper(_database_lost_at_award()):
        failed = api.raw("post", _award_url(badge_a), body, "application/json", headers=headers)
    assert failed.status_code == 500
    close_old_connections()  # what the WSGI handler does after every request (Django's test client does not)
    with tenant_scope(tenant_a):
        assert not IdempotencyKey.objects.filter(key="outage-1").exists(), "the key was left in flight"

    retry = api.raw("post", _award_url(badge_a), body, "application/json", headers=headers)
    assert retry.status_code == 201, retry.content
    assert "Idempotent-Replayed" not in retry
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1
        assert IdempotencyKey.objects.get(key="outage-1").status == IdempotencyKey.Status.DONE


def test_a_verification_with_a_key_is_not_held_as_a_key_since_it_changes_nothing(api_a, tenant_a):
    """The verifier only reads: no key row, so no transaction held open while it fetches a foreign badge."""
    body = {"url": "https://badges.invalid/public/assertions/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11"}
    headers = {"Idempotency-Key": "verify-1"}
    first = api_a.post("/api/v1/verify/", body, headers=headers)
    again = api_a.post("/api/v1/verify/", body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again
    with tenant_scope(tenant_a):
        assert not IdempotencyKey.objects.exists()
