"""The tutor's award pages: dashboard counts, award in two clicks, an award's status and actions, cohort
preview and job; for the owner, a viewer, a limited issuer and an outsider."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assertions.bulk import bulk_job_run
from assertions.models import Assertion, BulkJob
from assertions.tally import tally_rebuild
from badges.models import BadgeClass
from badges.services import badge_class_create
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes, postgresql_only

E = Assertion.EmailStatus
M = OutboxEmail.Status


def mail_set(assertion: Assertion, status: str, error: str = "") -> None:
    """Put the award's email (its outbox row) in ``status``, as the outbox would have."""
    OutboxEmail.objects.filter(pk=assertion.mail_id).update(status=status, error=error)


@pytest.fixture
def catering_badge(tenant_a, other_issuer, alice):  # noqa: F811
    with tenant_scope(tenant_a):
        return badge_class_create(issuer=other_issuer, name="Knife Skills", description="Uses a knife.",
                                  image=png_bytes(), criteria_narrative="Dices an onion.", actor=alice)


@pytest.fixture
def award_a(tenant_a, badge_a, alice):  # noqa: F811
    with tenant_scope(tenant_a):
        return issue_one(badge_class=badge_a, recipient_identity="ann@example.org", recipient_name="Ann",
                               actor=alice)


def _url(name, tenant, obj=None):
    return reverse(name, args=[tenant.slug] + ([obj.public_id] if obj is not None else []))


def _csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "issued_on"])
    writer.writerows(rows)
    return out.getvalue().encode()


# --- Dashboard ---------------------------------------------------------------------------------------


def test_dashboard_is_the_tenant_landing_page_with_counts_per_badge(client, alice, tenant_a, badge_a):  # noqa: F811
    with tenant_scope(tenant_a):
        made = [issue_one(badge_class=badge_a, recipient_identity=f"l{i}@example.org") for i in range(5)]
        Assertion.objects.filter(pk=made[0].pk).update(claimed_at=timezone.now())
        mail_set(made[0], M.SENT)
        mail_set(made[1], M.FAILED, "550 no such user")
        mail_set(made[2], M.UNKNOWN)
        Assertion.objects.filter(pk=made[3].pk).update(revoked=True)
        tally_rebuild()  # the claim and revocation above were set by hand, past the services that count them
    client.force_login(alice)
    response = client.get(reverse("issuers:dashboard", args=[tenant_a.slug]))
    assert response.status_code == 200
    assert response.resolver_match.view_name == "assertions:dashboard"
    (badge, can_issue), = response.context["badges"]
    assert can_issue
    assert (badge.n_issued, badge.n_claimed, badge.n_pending_email, badge.n_failed_email) == (4, 1, 1, 2)
    html = response.content.decode()
    assert "Safe Scaffolding" in html
    assert _url("assertions:award", tenant_a, badge_a) in html


def test_dashboard_search_filters_badges(client, alice, tenant_a, badge_a, catering_badge):  # noqa: F811
    client.force_login(alice)
    response = client.get(_url("assertions:dashboard", tenant_a), {"q": "knife"})
    assert [b.name for b, _ in response.context["badges"]] == ["Knife Skills"]
    response = client.get(_url("assertions:dashboard", tenant_a), {"q": "construction"})
    assert [b.name for b, _ in response.context["badges"]] == ["Safe Scaffolding"]
    assert "No badge matches" in client.get(_url("assertions:dashboard", tenant_a), {"q": "zzz"}).content.decode()


def test_viewer_sees_every_badge_but_no_award_button(client, viewer, tenant_a, badge_a):  # noqa: F811
    client.force_login(viewer)
    response = client.get(_url("assertions:dashboard", tenant_a))
    assert [(b.name, can) for b, can in response.context["badges"]] == [("Safe Scaffolding", False)]
    assert _url("assertions:award", tenant_a, badge_a) not in response.content.decode()
    assert "New badge" not in response.content.decode()


def test_limited_issuer_sees_only_their_issuers_badges(client, limited, tenant_a, badge_a, catering_badge):  # noqa: F811
    client.force_login(limited)
    response = client.get(_url("assertions:dashboard", tenant_a))
    assert [b.name for b, _ in response.context["badges"]] == ["Knife Skills"]


# --- Award in two clicks ----------------------------------------------------------------------------------


def test_award_form_issues_and_shows_the_assertion_page(client, alice, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    form = client.get(_url("assertions:award", tenant_a, badge_a))
    assert form.context["form"]["issued_on"].value() == timezone.localdate()
    response = client.post(_url("assertions:award", tenant_a, badge_a), {
        "email": "Ann@Example.org", "name": "Ann Lee", "issued_on": timezone.localdate().isoformat(),
        "evidence_url": "https://portfolio.example/ann", "evidence_narrative": "Built it twice.",
        "narrative": "Great teamwork."})
    with tenant_scope(tenant_a):
        assertion = Assertion.objects.get()
    assert response.status_code == 302
    assert response.url == _url("assertions:assertion", tenant_a, assertion)
    assert assertion.recipient_identity == "ann@example.org"
    assert assertion.evidence == [{"id": "https://portfolio.example/ann", "narrative": "Built it twice."}]
    assert assertion.narrative == "Great teamwork."
    assert assertion.issued_by == alice
    page = client.get(response.url).content.decode()
    assert "Ann Lee" in page
    assert f"/public/assertions/{assertion.public_id}" in page
    assert "Recorded" in page


def test_award_form_shows_errors_and_issues_nothing(client, alice, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    response = client.post(_url("assertions:award", tenant_a, badge_a),
                           {"email": "not-an-email", "name": "", "issued_on": "2999-01-01",
                            "evidence_url": "javascript:alert(1)"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in html
    assert "This field is required." in html
    assert "cannot be in the future" in html
    assert "Enter a valid URL." in html
    with tenant_scope(tenant_a):
        assert not Assertion.objects.exists()


def test_an_earlier_date_is_kept(client, alice, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    client.post(_url("assertions:award", tenant_a, badge_a),
                {"email": "bo@example.org", "name": "Bo", "issued_on": "2026-01-05"})
    with tenant_scope(tenant_a):
        assert timezone.localtime(Assertion.objects.get().issued_on).date().isoformat() == "2026-01-05"


def test_viewer_and_limited_issuer_cannot_award(client, viewer, limited, tenant_a, badge_a):  # noqa: F811
    data = {"email": "x@example.org", "name": "X", "issued_on": timezone.localdate().isoformat()}
    client.force_login(viewer)
    assert client.get(_url("assertions:award", tenant_a, badge_a)).status_code == 403
    assert client.post(_url("assertions:award", tenant_a, badge_a), data).status_code == 403
    client.force_login(limited)
    assert client.get(_url("assertions:award", tenant_a, badge_a)).status_code == 404
    assert client.post(_url("assertions:award", tenant_a, badge_a), data).status_code == 404
    with tenant_scope(tenant_a):
        assert not Assertion.objects.exists()


# --- The assertion page and its actions ---------------------------------------------------------------


def test_status_json_follows_the_pipeline(client, alice, tenant_a, award_a):
    client.force_login(alice)
    url = _url("assertions:assertion_status", tenant_a, award_a)
    data = client.get(url).json()
    assert [s["state"] for s in data["steps"]] == ["done", "current", "todo", "todo"]
    assert not data["final"]
    with tenant_scope(tenant_a):
        Assertion.objects.filter(pk=award_a.pk).update(bake_status="done")
    mail_set(award_a, M.UNKNOWN, "The worker stopped while sending.")
    data = client.get(url).json()
    assert [s["state"] for s in data["steps"]] == ["done", "done", "warning", "todo"]
    assert data["steps"][2]["label"] == "Delivery unknown — resend?"
    assert data["final"]
    assert data["can_resend"]
    page = client.get(_url("assertions:assertion", tenant_a, award_a)).content.decode()
    assert "The worker stopped while sending." in page
    assert "Resend email" in page


def test_revoke_needs_a_reason_then_revokes(client, alice, tenant_a, award_a):
    client.force_login(alice)
    url = _url("assertions:revoke", tenant_a, award_a)
    response = client.post(url, {"reason": " "}, follow=True)
    assert "Give a reason" in response.content.decode()
    award_a.refresh_from_db()
    assert not award_a.revoked
    response = client.post(url, {"reason": "Assessed in error"}, follow=True)
    award_a.refresh_from_db()
    assert award_a.revoked
    assert award_a.revocation_reason == "Assessed in error"
    assert "Assessed in error" in response.content.decode()


def test_resend_queues_the_email_again_or_explains_why_not(client, alice, tenant_a, award_a):
    client.force_login(alice)
    url = _url("assertions:resend", tenant_a, award_a)
    assert "already on its way" in client.post(url, follow=True).content.decode()
    mail_set(award_a, M.FAILED, "550")
    assert "on its way to ann@example.org again" in client.post(url, follow=True).content.decode()
    award_a.refresh_from_db()
    assert (award_a.email_status, award_a.email_error) == (E.PENDING, "")


def test_correct_address_revokes_and_reissues_to_the_right_one(client, alice, tenant_a, award_a):
    client.force_login(alice)
    response = client.post(_url("assertions:correct", tenant_a, award_a), {"email": "ann.lee@example.org"})
    with tenant_scope(tenant_a):
        corrected = Assertion.objects.get(replaces=award_a)
    assert response.url == _url("assertions:assertion", tenant_a, corrected)
    award_a.refresh_from_db()
    assert award_a.revoked
    assert award_a.revocation_reason == "Sent to the wrong address"
    assert corrected.recipient_identity == "ann.lee@example.org"
    assert corrected.recipient_name == "Ann"


def test_correct_address_is_refused_once_claimed_or_invalid(client, alice, tenant_a, award_a):
    client.force_login(alice)
    url = _url("assertions:correct", tenant_a, award_a)
    assert "Enter the correct email" in client.post(url, {"email": "nope"}, follow=True).content.decode()
    with tenant_scope(tenant_a):
        Assertion.objects.filter(pk=award_a.pk).update(claimed_at=timezone.now())
    page = client.get(_url("assertions:assertion", tenant_a, award_a)).content.decode()
    assert "Correct the email address" not in page
    assert "already claimed" in client.post(url, {"email": "b@example.org"}, follow=True).content.decode()
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1


def test_viewer_reads_an_award_but_cannot_act_on_it(client, viewer, tenant_a, award_a):  # noqa: F811
    client.force_login(viewer)
    page = client.get(_url("assertions:assertion", tenant_a, award_a))
    assert page.status_code == 200
    assert "Revoke" not in page.content.decode()
    assert client.get(_url("assertions:assertion_status", tenant_a, award_a)).status_code == 200
    for name in ("assertions:revoke", "assertions:resend", "assertions:correct"):
        assert client.post(_url(name, tenant_a, award_a), {"reason": "x", "email": "z@example.org"}).status_code == 403
    award_a.refresh_from_db()
    assert not award_a.revoked


def test_limited_issuer_cannot_reach_another_issuers_award(client, limited, tenant_a, award_a):  # noqa: F811
    client.force_login(limited)
    assert client.get(_url("assertions:assertion", tenant_a, award_a)).status_code == 404
    assert client.get(_url("assertions:assertion_status", tenant_a, award_a)).status_code == 404
    assert client.post(_url("assertions:revoke", tenant_a, award_a), {"reason": "x"}).status_code == 404


# --- Cohorts ------------------------------------------------------------------------------------------


def test_csv_preview_lists_every_problem_and_counts_the_good_rows(client, alice, tenant_a, badge_a, award_a):  # noqa: F811
    rows = [["a@example.org", "A", ""], ["not-an-email", "B", ""], ["c@example.org", "C", "31/02/2026"],
            ["a@example.org", "A again", ""], ["ann@example.org", "Ann", ""], ["d@example.org", "D", "2026-01-05"]]
    client.force_login(alice)
    response = client.post(_url("assertions:cohort", tenant_a, badge_a),
                           {"file": SimpleUploadedFile("cohort.csv", _csv(rows), content_type="text/csv")})
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
    assert response.url == _url("assertions:job", tenant_a, job)
    assert job.status == BulkJob.Status.PREVIEW
    page = client.get(response.url)
    html = page.content.decode()
    assert page.context["good"] == 2
    assert [(p["row"], p["email"]) for p in page.context["problems"]] == [
        (3, "not-an-email"), (4, "c@example.org"), (5, "a@example.org"), (6, "ann@example.org")]
    assert "Issue 2 badges" in html
    assert "Duplicate" in html
    assert "Already holds" in html
    assert "is not a date" in html
    bad = client.get(_url("assertions:job_problems", tenant_a, job))
    assert bad["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(bad.content.decode("utf-8-sig"))))
    assert lines[0] == ["email", "name", "issued_on", "problem", "line"]  # the tutor's columns, then ours
    assert lines[1][:3] == ["not-an-email", "B", ""]
    assert lines[2][:3] == ["c@example.org", "C", "31/02/2026"]
    assert len(lines) == 5
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1  # nothing issued by the preview


def test_confirming_issues_the_good_rows_once(client, alice, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    response = client.post(_url("assertions:cohort", tenant_a, badge_a),
                           {"emails": "a@example.org\nBea <b@example.org>\nbroken"})
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
    client.post(_url("assertions:job_start", tenant_a, job))
    client.post(_url("assertions:job_start", tenant_a, job))  # a double click
    job.refresh_from_db()
    assert job.status == BulkJob.Status.QUEUED
    with tenant_scope(tenant_a):
        bulk_job_run(job=job)  # what the worker does (its own tests run a real one)
    data = client.get(_url("assertions:job_status", tenant_a, job)).json()
    assert (data["status"], data["issued"], data["failed"], data["percent"], data["final"]) == ("done", 2, 1, 100, True)
    page = client.get(response.url).content.decode()
    assert "Done: 2 badges issued, 1 row not issued" in page
    with tenant_scope(tenant_a):
        assert sorted(Assertion.objects.values_list("recipient_identity", flat=True)) == ["a@example.org",
                                                                                         "b@example.org"]


def test_the_same_file_twice_shows_the_first_job(client, alice, tenant_a, badge_a):  # noqa: F811
    data = _csv([["a@example.org", "A", ""], ["b@example.org", "B", ""]])
    client.force_login(alice)
    url = _url("assertions:cohort", tenant_a, badge_a)
    first = client.post(url, {"file": SimpleUploadedFile("c.csv", data, content_type="text/csv")})
    again = client.post(url, {"file": SimpleUploadedFile("c.csv", data, content_type="text/csv")}, follow=True)
    assert again.redirect_chain[-1][0] == first.url
    assert "already submitted this list" in again.content.decode()
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
        client.post(_url("assertions:job_start", tenant_a, job))
        bulk_job_run(job=job)
    # After it ran, its learners hold the badge; the same file still leads to that job, not a new one.
    later = client.post(url, {"file": SimpleUploadedFile("c.csv", data, content_type="text/csv")})
    assert later.url == first.url
    with tenant_scope(tenant_a):
        assert BulkJob.objects.count() == 1
        assert Assertion.objects.count() == 2


def test_bad_cohort_input_is_explained(client, alice, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    url = _url("assertions:cohort", tenant_a, badge_a)
    assert "Paste a list of emails or choose a CSV file" in client.post(url, {}).content.decode()
    no_email = client.post(url, {"file": SimpleUploadedFile("x.csv", b"name,date\nAnn,2026-01-01\n")})
    assert "no &#x27;email&#x27; column" in no_email.content.decode()
    binary = client.post(url, {"file": SimpleUploadedFile("x.csv", png_bytes())})
    assert binary.status_code == 200
    all_bad = client.post(url, {"emails": "nope\nalso-nope"})
    html = all_bad.content.decode()
    assert "every row has a problem" in html
    assert "also-nope" in html
    with tenant_scope(tenant_a):
        assert not BulkJob.objects.exists()


def test_viewer_sees_a_job_but_cannot_start_it_or_upload(client, alice, viewer, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    client.post(_url("assertions:cohort", tenant_a, badge_a), {"emails": "a@example.org"})
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
    client.force_login(viewer)
    assert client.get(_url("assertions:cohort", tenant_a, badge_a)).status_code == 403
    page = client.get(_url("assertions:job", tenant_a, job))
    assert page.status_code == 200
    assert "Issue 1 badge" not in page.content.decode()
    assert client.post(_url("assertions:job_start", tenant_a, job)).status_code == 403
    job.refresh_from_db()
    assert job.status == BulkJob.Status.PREVIEW


def test_limited_issuer_cannot_reach_another_issuers_cohort_or_job(client, alice, limited, tenant_a, badge_a):  # noqa: F811
    client.force_login(alice)
    client.post(_url("assertions:cohort", tenant_a, badge_a), {"emails": "a@example.org"})
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
    client.force_login(limited)
    assert client.get(_url("assertions:cohort", tenant_a, badge_a)).status_code == 404
    for name in ("assertions:job", "assertions:job_status", "assertions:job_problems"):
        assert client.get(_url(name, tenant_a, job)).status_code == 404
    assert client.post(_url("assertions:job_start", tenant_a, job)).status_code == 404


# --- Another college -------------------------------------------------------------------------------


def test_outsider_gets_404_on_every_tutor_page(client, alice, charlie, tenant_a, tenant_b, badge_a, award_a):  # noqa: F811
    client.force_login(alice)
    client.post(_url("assertions:cohort", tenant_a, badge_a), {"emails": "z@example.org"})
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
    client.force_login(charlie)
    assert client.get(_url("assertions:dashboard", tenant_a)).status_code == 404
    own = client.get(_url("assertions:dashboard", tenant_b))
    assert own.status_code == 200
    assert "Safe Scaffolding" not in own.content.decode()
    targets = {"assertions:badge": badge_a, "assertions:award": badge_a, "assertions:cohort": badge_a,
               "assertions:assertion": award_a, "assertions:assertion_status": award_a,
               "assertions:revoke": award_a, "assertions:resend": award_a, "assertions:correct": award_a,
               "assertions:job": job, "assertions:job_status": job, "assertions:job_start": job,
               "assertions:job_problems": job}
    for name, obj in targets.items():
        for tenant in (tenant_a, tenant_b):
            assert client.get(_url(name, tenant, obj)).status_code in {404, 405}, name
            assert client.post(_url(name, tenant, obj), {"reason": "x", "email": "c@example.org",
                                                         "name": "C"}).status_code == 404, name
    award_a.refresh_from_db()
    job.refresh_from_db()
    assert not award_a.revoked
    assert job.status == BulkJob.Status.PREVIEW


def test_the_badge_page_says_how_long_an_award_stays_valid(client, alice, tenant_a, badge_a):  # noqa: F811
    with tenant_scope(tenant_a):
        BadgeClass.objects.filter(pk=badge_a.pk).update(validity_days=1095)
    client.force_login(alice)
    page = client.get(_url("assertions:badge", tenant_a, badge_a))
    assert b"valid for 3 years" in page.content


@postgresql_only("reads its query plan")
def test_a_badge_search_reads_its_matches_from_the_badge_pattern_indexes(tenant_a, badge_a):
    """EXPLAIN of the search: a badge pattern index finds the matches, which are then sorted, not a walk of
    the badge's newest awards filtered until 50 match (at 1,000,000 awards: 1 ms against 0.4 s)."""
    from assertions.selectors import badge_awards

    with tenant_scope(tenant_a), connection.cursor() as cursor:
        issue_one(badge_class=badge_a, recipient_identity="lee@example.org", recipient_name="Lee Ann")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned otherwise
        plan = badge_awards(badge_a, search="lee").explain()
    assert "_prefix" in plan, plan
    assert "Sort" in plan, plan
    assert "assertion_badge_newest" not in plan, plan


def test_a_badge_search_with_many_matches_walks_the_newest_awards_and_still_lists_the_newest(
        tenant_a, badge_a, monkeypatch):
    """Past SEARCH_SORTED_MAX matches, reading every match to sort it grows with the data; the badge's newest
    awards hold 50 matches within a few hundred, so that index is walked instead. Either way, newest first
    (the plans are PostgreSQL's: on SQLite, the embedded default, only the order is checked)."""
    from assertions import selectors

    postgres = connection.vendor == "postgresql"
    with tenant_scope(tenant_a), connection.cursor() as cursor:
        made = [issue_one(badge_class=badge_a, recipient_identity=f"lee{n}@example.org", recipient_name=f"Lee {n}",
                          issued_on=timezone.now() - timedelta(days=n)) for n in range(4)]
        issue_one(badge_class=badge_a, recipient_identity="sam@example.org", recipient_name="Sam")
        if postgres:
            cursor.execute("SET LOCAL enable_seqscan = off")
        few = selectors.badge_awards(badge_a, search="lee", limit=3)
        assert not postgres or "Sort" in few.explain()
        assert [a.pk for a in few] == [a.pk for a in made[:3]]
        monkeypatch.setattr(selectors, "SEARCH_SORTED_MAX", 3)
        many = selectors.badge_awards(badge_a, search="lee", limit=3)
        assert not postgres or "assertion_badge_newest" in many.explain()
        assert [a.pk for a in many] == [a.pk for a in made[:3]]
