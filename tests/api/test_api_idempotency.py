"""``Idempotency-Key`` on POSTs: a retry replays the first response; 409 while the first is in flight;
422 when the same key comes with a different request."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
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
    for _ in range(2):
        assert api_a.post(_award_url(badge_a), {"recipient_email": "ann@example.org"}).status_code == 201
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


def test_a_key_still_in_flight_gets_409(api_a, badge_a, tenant_a, key_a):
    """The first request's row is written before it acts and completed after; a retry that arrives
    in between (here: the row as the first request left it, mid-flight) must not act."""
    body = b'{"recipient_email": "ann@example.org"}'
    first = RequestFactory().post(_award_url(badge_a), body, content_type="application/json")
    with tenant_scope(tenant_a):
        IdempotencyKey.objects.create(tenant=tenant_a, key="slow-1", fingerprint=request_fingerprint(first))
    response = api_a.raw("post", _award_url(badge_a), body, "application/json", headers={"Idempotency-Key": "slow-1"})
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "still being processed" in response.json()["detail"]
    with tenant_scope(tenant_a):
        assert not Assertion.objects.exists()


def test_a_key_abandoned_in_flight_is_released_after_the_timeout(api_a, badge_a, tenant_a):
    body = b'{"recipient_email": "ann@example.org"}'
    first = RequestFactory().post(_award_url(badge_a), body, content_type="application/json")
    with tenant_scope(tenant_a):
        IdempotencyKey.objects.create(tenant=tenant_a, key="dead-1", fingerprint=request_fingerprint(first),
                                      created_at=timezone.now() - timedelta(hours=1))
    response = api_a.raw("post", _award_url(badge_a), body, "application/json", headers={"Idempotency-Key": "dead-1"})
    assert response.status_code == 201
    again = api_a.raw("post", _award_url(badge_a), body, "application/json", headers={"Idempotency-Key": "dead-1"})
    assert again.content == response.content
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
