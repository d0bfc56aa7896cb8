"""POST /api/v1/badgeclasses/<id>/assertions/, GET /api/v1/assertions/ (+ filters), GET
/api/v1/assertions/<id>/ and POST /api/v1/assertions/<id>/revoke/."""

from __future__ import annotations

import pytest
from django.db import connection

from assertions import links
from assertions.models import Assertion
from badges.services import badge_class_retire
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from issuers.services import tenant_set_status
from tests.support import issue_one


def _award(api, badge, **data):
    return api.post(f"/api/v1/badgeclasses/{badge.public_id}/assertions/",
                    {"recipient_email": "Learner@Example.org", **data})


def test_award_one_learner_returns_the_assertion_and_its_pipeline_status(api_a, badge_a, tenant_a, key_a):
    response = _award(api_a, badge_a, recipient_name="Lee Learner", narrative="Built a tower.",
                      evidence=[{"url": "https://portfolio.example/lee", "narrative": "Photos"}],
                      issued_on="2026-01-15", expires="2027-01-15", notify=False)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["open_badge_id"] == f"http://127.0.0.1:8000/public/assertions/{body['id']}"
    assert body["badge_class"] == str(badge_a.public_id)
    assert body["recipient_email"] == "learner@example.org"
    assert body["recipient_name"] == "Lee Learner"
    assert body["evidence"] == [{"url": "https://portfolio.example/lee", "narrative": "Photos"}]
    assert body["issued_on"].startswith("2026-01-15T00:00:00")  # the start of the day, London time in winter
    assert body["expires"].startswith("2027-01-15T23:59:59")
    assert body["verification"] == "hosted"
    assert body["status"] == "recorded"
    assert body["bake_status"] == "pending"
    assert body["email_status"] == "none"
    assert body["revoked"] is False
    with tenant_scope(tenant_a):
        assertion = Assertion.objects.get(public_id=body["id"])
        # The learner's share page, where the links module offers one (another issue adds it).
        assert body["share_url"] == (links.share_url(assertion) if hasattr(links, "share_url") else None)
        assert assertion.issued_by is None
        entry = AuditEntry.objects.get(action="assertion.issue", object_id=body["id"])
    assert entry.actor_label == f"API key {key_a[0].prefix}"


def test_award_signed_when_asked(api_a, badge_a):
    response = _award(api_a, badge_a, verification="signed")
    assert response.status_code == 201
    assert response.json()["verification"] == "signed"


def test_award_with_the_email_pipeline_records_a_pending_email(api_a, badge_a):
    assert _award(api_a, badge_a).json()["email_status"] == "pending"


@pytest.mark.parametrize(("data", "field"), [
    ({"recipient_email": "not-an-email"}, "recipient_email"),
    ({"recipient_email": ["a@b.example"]}, "recipient_email"),
    ({"issued_on": "2026-02-30"}, "issued_on"),
    ({"issued_on": 20260101}, "issued_on"),
    ({"expires": "next tuesday"}, "expires"),
    ({"evidence": "https://x.example"}, "evidence"),
    ({"evidence": [{"url": "javascript:alert(1)"}]}, "evidence"),
    ({"notify": "perhaps"}, "notify"),
    ({"verification": "carrier pigeon"}, "verification"),
])
def test_bad_award_fields_are_refused_by_name(api_a, badge_a, data, field):
    response = api_a.post(f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/",
                          {"recipient_email": "ok@example.org", **data})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert response.json()["detail"]


def test_the_services_checks_come_back_as_400_with_their_message(api_a, badge_a):
    response = _award(api_a, badge_a, issued_on="2026-03-01", expires="2026-02-01")
    assert response.status_code == 400
    assert response.json()["detail"] == "The expiry date must be after the issue date."
    future = _award(api_a, badge_a, issued_on="2999-01-01T00:00:00Z")
    assert future.json()["detail"] == "The issue date cannot be in the future."


def test_a_retired_badge_cannot_be_awarded(api_a, badge_a, tenant_a):
    with tenant_scope(tenant_a):
        badge_class_retire(badge_class=badge_a)
    response = _award(api_a, badge_a)
    assert response.status_code == 400
    assert "retired" in response.json()["detail"]


def test_a_suspended_college_gets_403_with_the_reason(api_a, badge_a, tenant_a):
    tenant_set_status(tenant=tenant_a, status="suspended")
    response = _award(api_a, badge_a)
    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]


def test_malformed_json_is_a_clear_400(api_a, badge_a):
    response = api_a.raw("post", f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/", b'{"recipient_email": ',
                         "application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_another_colleges_key_cannot_award_its_badge(api_b, badge_a, tenant_a):
    response = _award(api_b, badge_a)
    assert response.status_code == 404
    with tenant_scope(tenant_a):
        assert not Assertion.objects.exists()


@pytest.fixture
def three_awards(tenant_a, badge_a):
    with tenant_scope(tenant_a):
        return [issue_one(badge_class=badge_a, recipient_identity=f"learner{n}@example.org", notify=False)
                for n in range(3)]


def test_list_is_paginated_newest_first(api_a, three_awards):
    page = api_a.get("/api/v1/assertions/", {"page_size": 2}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["previous"] is None
    second = api_a.get(page["next"].replace("http://testserver", "")).json()
    ids = [a["id"] for a in page["results"] + second["results"]]
    assert sorted(ids) == sorted(str(a.public_id) for a in three_awards)


def test_list_filters_by_badge_recipient_and_status(api_a, three_awards, badge_a, tenant_a):
    with tenant_scope(tenant_a):
        Assertion.objects.filter(pk=three_awards[0].pk).update(revoked=True)
        Assertion.objects.filter(pk=three_awards[1].pk).update(bake_status="done")
    assert api_a.get("/api/v1/assertions/", {"badge_class": str(badge_a.public_id)}).json()["count"] == 3
    found = api_a.get("/api/v1/assertions/", {"recipient": "LEARNER2@example.org"}).json()["results"]
    assert [a["id"] for a in found] == [str(three_awards[2].public_id)]
    revoked = api_a.get("/api/v1/assertions/", {"status": "revoked"}).json()["results"]
    assert [a["id"] for a in revoked] == [str(three_awards[0].public_id)]
    baked = api_a.get("/api/v1/assertions/", {"status": "baked"}).json()["results"]
    assert [a["id"] for a in baked] == [str(three_awards[1].public_id)]
    assert api_a.get("/api/v1/assertions/", {"status": "recorded"}).json()["count"] == 1


def test_every_status_filter_matches_pipeline_status(api_a, three_awards):
    from assertions.api import STATUS_FILTERS

    for status in STATUS_FILTERS:
        for item in api_a.get("/api/v1/assertions/", {"status": status}).json()["results"]:
            assert item["status"] == status


def test_bad_filters_are_refused_with_the_allowed_values(api_a, three_awards):
    response = api_a.get("/api/v1/assertions/", {"status": "lost"})
    assert response.status_code == 400
    assert "recorded" in response.json()["detail"]
    assert api_a.get("/api/v1/assertions/", {"badge_class": "42"}).status_code == 400
    assert api_a.get("/api/v1/assertions/", {"page": "999"}).status_code == 404


def test_list_shows_only_the_keys_college(api_b, three_awards, tenant_b, badge_b):
    with tenant_scope(tenant_b):
        own = issue_one(badge_class=badge_b, recipient_identity="chef@example.org", notify=False)
    page = api_b.get("/api/v1/assertions/").json()
    assert [a["id"] for a in page["results"]] == [str(own.public_id)]
    # Filtering by another college's badge class finds nothing rather than its awards.
    assert api_b.get("/api/v1/assertions/", {"badge_class": str(three_awards[0].badge_class.public_id)}
                     ).json()["count"] == 0


def test_get_one_assertion(api_a, three_awards):
    a = three_awards[0]
    body = api_a.get(f"/api/v1/assertions/{a.public_id}/").json()
    assert body["id"] == str(a.public_id)
    assert body["image_url"].endswith(f"/public/assertions/{a.public_id}/image")


def test_revoke_with_a_reason_and_again_changes_nothing(api_a, three_awards, tenant_a, key_a):
    url = f"/api/v1/assertions/{three_awards[0].public_id}/revoke/"
    response = api_a.post(url, {"reason": "Awarded in error"})
    assert response.status_code == 200
    assert response.json()["revoked"] is True
    assert response.json()["revocation_reason"] == "Awarded in error"
    assert response.json()["status"] == "revoked"
    again = api_a.post(url, {"reason": "Another reason"})
    assert again.json()["revocation_reason"] == "Awarded in error"
    with tenant_scope(tenant_a):
        entries = list(AuditEntry.objects.filter(action="assertion.revoke"))
    assert [e.actor_label for e in entries] == [f"API key {key_a[0].prefix}"]


@pytest.mark.parametrize("data", [{}, {"reason": "   "}, {"reason": 42}])
def test_revoke_needs_a_reason(api_a, three_awards, data):
    response = api_a.post(f"/api/v1/assertions/{three_awards[0].public_id}/revoke/", data)
    assert response.status_code == 400
    assert response.json()["errors"]["reason"]


def test_another_colleges_key_cannot_read_or_revoke_an_assertion(api_b, three_awards, tenant_a):
    a = three_awards[0]
    assert api_b.get(f"/api/v1/assertions/{a.public_id}/").status_code == 404
    assert api_b.post(f"/api/v1/assertions/{a.public_id}/revoke/", {"reason": "x"}).status_code == 404
    with tenant_scope(tenant_a):
        assert not Assertion.objects.get(pk=a.pk).revoked


def test_an_award_answers_with_its_email_without_reading_it_back_nor_writing_the_key_again(
        api_a, badge_a, key_a, django_assert_num_queries):
    _award(api_a, badge_a)  # the key's first use this minute is written
    # The badge class, then the service's transaction (a savepoint in the test's): the holders, and one
    # statement writing the email, the award, the badge's kept counts, the audit entry and the announcement
    # (issuers.rows.RowWrites). The key and its tenant were read by the first award and are remembered by the
    # process (issuers.keycache). After a real commit there is nothing more: the worker forgets the announcement.
    # SQLite (the embedded default) writes the five rows one statement each.
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 9) as queries:
        response = _award(api_a, badge_a, recipient_email="second@example.org")
    assert response.json()["email_status"] == "pending"
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "issuers_apikey" in s]
    assert not [s for s in sql if s.startswith("SELECT") and "issuers_outboxemail" in s]
