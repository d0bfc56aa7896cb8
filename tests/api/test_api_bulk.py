"""POST /api/v1/badgeclasses/<id>/assertions/bulk/ (CSV or JSON rows, dry run) and GET /api/v1/jobs/<id>/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.bulk import bulk_job_run
from assertions.models import Assertion, BulkJob
from issuers.scoping import tenant_scope
from tests.support import issue_one

# Line 1 is the header. Bad: line 3 (email), line 5 (duplicate of line 2), line 6 (date), line 8
# (already holds the badge); line 7 is blank and skipped.
CSV = (
    "email,name,evidence_url,issued_on\n"
    "ann@example.org,Ann Lee,https://portfolio.example/ann,2026-01-05\n"
    "not-an-email,Bad Row,,\n"
    "ben@example.org,Ben Ode,,05/01/2026\n"
    "ANN@example.org,Ann Again,,\n"
    "cat@example.org,Cat Ray,,2026-13-40\n"
    "\n"
    "holder@example.org,Already Has It,,\n"
    "dan@example.org,Dan Fox,,\n"
)


def _csv(content: str | bytes = CSV, name: str = "cohort.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def holder(tenant_a, badge_a):
    with tenant_scope(tenant_a):
        return issue_one(badge_class=badge_a, recipient_identity="holder@example.org", notify=False)


def _url(badge, dry_run=False):
    return f"/api/v1/badgeclasses/{badge.public_id}/assertions/bulk/" + ("?dry_run=1" if dry_run else "")


def test_dry_run_lists_every_problem_by_its_line_in_the_file(api_a, badge_a, holder, tenant_a):
    response = api_a.post_multipart(_url(badge_a, dry_run=True), {"file": _csv()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True
    assert body["total"] == 7
    assert body["good"] == 3
    assert [p["row"] for p in body["problems"]] == [3, 5, 6, 8]
    assert [p["email"] for p in body["problems"]] == ["not-an-email", "ANN@example.org", "cat@example.org",
                                                      "holder@example.org"]
    assert "Duplicate" in body["problems"][1]["error"]
    assert "line 2" in body["problems"][1]["error"]
    assert "Already holds" in body["problems"][3]["error"]
    with tenant_scope(tenant_a):
        assert BulkJob.objects.count() == 0
        assert Assertion.objects.count() == 1  # only the holder's


def test_a_csv_becomes_a_job_that_issues_the_good_rows(api_a, badge_a, holder, tenant_a, key_a):
    response = api_a.post_multipart(_url(badge_a), {"file": _csv(), "notify": "false"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["url"] == f"http://testserver/api/v1/jobs/{body['id']}/"
    assert response["Location"] == body["url"]
    job = api_a.get(f"/api/v1/jobs/{body['id']}/").json()
    assert {"id", "url", "status", "total", "issued", "failed", "errors"} <= set(job)
    assert (job["total"], job["issued"], job["failed"]) == (7, 0, 4)
    assert [e["row"] for e in job["errors"]] == [3, 5, 6, 8]
    with tenant_scope(tenant_a):
        bulk_job_run(job=BulkJob.objects.get(public_id=body["id"]))
    done = api_a.get(f"/api/v1/jobs/{body['id']}/").json()
    assert (done["status"], done["issued"], done["failed"], done["progress_percent"]) == ("done", 3, 4, 100)
    with tenant_scope(tenant_a):
        issued = Assertion.objects.filter(bulk_job__public_id=body["id"])
        assert sorted(a.recipient_identity for a in issued) == ["ann@example.org", "ben@example.org",
                                                                "dan@example.org"]
        assert {a.email_status for a in issued} == {"none"}
    listed = api_a.get("/api/v1/assertions/", {"badge_class": str(badge_a.public_id)}).json()
    assert listed["count"] == 4


def test_the_same_file_twice_is_the_same_job(api_a, badge_a):
    first = api_a.post_multipart(_url(badge_a), {"file": _csv()}).json()
    second = api_a.post_multipart(_url(badge_a), {"file": _csv(name="renamed.csv")})
    assert second.status_code == 202
    assert second.json()["id"] == first["id"]


def test_json_rows_are_numbered_as_if_line_one_were_a_header(api_a, badge_a, tenant_a):
    rows = [{"email": "amy@example.org", "name": "Amy"}, {"email": "nope"}, {"email": "bo@example.org",
                                                                            "expires": "2030-01-01"}]
    preview = api_a.post(_url(badge_a, dry_run=True), {"rows": rows}).json()
    assert [(p["row"], p["email"]) for p in preview["problems"]] == [(3, "nope")]
    response = api_a.post(_url(badge_a), {"rows": rows, "notify": False, "verification": "signed"})
    assert response.status_code == 202
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get(public_id=response.json()["id"])
        assert job.source == "api"
        bulk_job_run(job=job)
        assert sorted(Assertion.objects.values_list("verification_type", flat=True)) == ["signed", "signed"]


def test_a_file_with_only_bad_rows_lists_them_and_issues_nothing(api_a, badge_a, tenant_a):
    response = api_a.post_multipart(_url(badge_a), {"file": _csv("email\nnope\nalso-nope\n")})
    assert response.status_code == 400
    body = response.json()
    assert "None of the 2 rows" in body["detail"]
    assert [p["row"] for p in body["errors"]["rows"]] == [2, 3]
    with tenant_scope(tenant_a):
        assert not BulkJob.objects.exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The submitted file is empty."),
    (b"name,phone\nAnn,123\n", "no 'email' column"),
    (b"email\n", "no learners"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "not text"),
])
def test_garbage_files_are_refused_with_a_message(api_a, badge_a, content, message):
    response = api_a.post_multipart(_url(badge_a, dry_run=True), {"file": _csv(content)})
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]


def test_a_file_over_5_mb_is_refused(api_a, badge_a):
    big = "email\n" + "someone@example.org\n" * (5 * 1024 * 1024 // 20 + 10)
    response = api_a.post_multipart(_url(badge_a, dry_run=True), {"file": _csv(big)})
    assert response.status_code == 400
    assert "larger than 5 MB" in response.json()["detail"]


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(api_a, badge_a):
    response = api_a.raw("post", _url(badge_a), b"x" * (7 * 1024 * 1024), "application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


@pytest.mark.parametrize("data", [
    {"rows": "ann@example.org"}, {"rows": []}, {"rows": [1, 2]}, {"rows": None}, {}, {"file": "email\na@b.c"},
])
def test_bad_json_rows_are_refused_with_a_message(api_a, badge_a, data):
    response = api_a.post(_url(badge_a), data)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


def test_another_colleges_key_cannot_bulk_award_or_read_a_job(api_a, api_b, badge_a, tenant_a):
    assert api_b.post_multipart(_url(badge_a), {"file": _csv()}).status_code == 404
    assert api_b.post(_url(badge_a, dry_run=True), {"rows": [{"email": "x@example.org"}]}).status_code == 404
    job = api_a.post_multipart(_url(badge_a), {"file": _csv()}).json()
    response = api_b.get(f"/api/v1/jobs/{job['id']}/")
    assert response.status_code == 404
    assert "in your college" in response.json()["detail"]


def test_awards_of_a_job_started_by_a_key_are_audited_as_that_key(api_a, key_a, badge_a, tenant_a):
    from issuers.models import AuditEntry

    response = api_a.post(_url(badge_a), {"rows": [{"email": "x1@example.org"}, {"email": "x2@example.org"}]})
    assert response.status_code == 202, response.content
    with tenant_scope(tenant_a):
        job = bulk_job_run(job=BulkJob.objects.get())
        entry = AuditEntry.objects.get(action="assertion.issue")
        assert job.assertions.count() == 2
    assert entry.actor_label == f"API key {key_a[0].prefix}"
    # The entry names the job, whose awards point at it, rather than listing each award.
    assert (entry.data["bulk_job"], entry.data["count"]) == (str(job.public_id), 2)
    assert "assertions" not in entry.data
