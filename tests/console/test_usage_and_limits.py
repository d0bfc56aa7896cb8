"""Usage per college and month equals what was issued, emailed and verified; a college's plan limits stop
new awards in the one issuing service, so the form, the API and a CSV bulk job all stop with the reason,
and badges already issued keep verifying."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assertions.bulk import bulk_job_create, bulk_job_run, bulk_preview, rows_from_csv
from assertions.models import Assertion
from assertions.services import LimitReached
from console.selectors import colleges_with_usage, usage_by_month
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, tenant_set_limits
from tests.support import LD, issue_one
from tests.support.api import Api
from verification.tasks import verification_record


def _award(tenant, badge, *emails):
    with tenant_scope(tenant):
        return [issue_one(badge_class=badge, recipient_identity=e) for e in emails]


def test_usage_figures_equal_what_was_issued_emailed_and_verified(client, platform_admin, tenant_a, badge_a,
                                                                 tenant_b, badge_b):
    awards = _award(tenant_a, badge_a, "ann@example.org", "ben@example.org", "ann@example.org")
    _award(tenant_b, badge_b, "cat@example.org")
    # one of College A's emails went out; another failed (not counted)
    OutboxEmail.objects.filter(pk=awards[0].mail_id).update(status=OutboxEmail.Status.SENT, sent_at=timezone.now())
    OutboxEmail.objects.filter(pk=awards[1].mail_id).update(status=OutboxEmail.Status.FAILED)
    for visitor in ("v1", "v2"):
        verification_record(assertion_public_id=str(awards[0].public_id), verdict="valid", source="public",
                            visitor=visitor, day=timezone.localdate().isoformat())
    # last month's award counts in last month only
    with tenant_scope(tenant_a):
        Assertion.objects.filter(pk=awards[2].pk).update(created_at=timezone.now() - timedelta(days=40))

    rows = {r.tenant.slug: r.usage for r in colleges_with_usage()}
    a, b = rows["college-a"], rows["college-b"]
    assert (a.badges, a.learners, a.emails, a.verifications) == (2, 2, 1, 2)
    assert (b.badges, b.learners, b.emails, b.verifications) == (1, 1, 0, 0)
    months = usage_by_month(tenant=tenant_a)
    assert (months[0].badges, months[0].learners, months[0].emails, months[0].verifications) == (2, 2, 1, 2)
    assert sum(m.badges for m in months) == 3
    assert sum(m.learners for m in months[1:]) == 1

    client.force_login(platform_admin)
    page = client.get(reverse("console:college", args=[tenant_a.public_id])).content.decode()
    assert "Usage by month" in page
    listing = list(csv.reader(io.StringIO(client.get(reverse("console:colleges_csv")).content.decode("utf-8-sig"))))
    assert listing[0][:5] == ["college", "slug", "status", "month", "badges"]
    assert [r[4:8] for r in listing[1:]] == [["2", "2", "1", "2"], ["1", "1", "0", "0"]]
    monthly = list(csv.reader(io.StringIO(
        client.get(reverse("console:college_usage_csv", args=[tenant_a.public_id])).content.decode("utf-8-sig"))))
    assert monthly[1][1:] == ["2", "2", "1", "2"]
    assert len(monthly) == 13


def test_the_usage_queries_do_not_grow_with_the_colleges_or_awards(django_assert_max_num_queries, tenant_a,
                                                                  badge_a, tenant_b, badge_b):
    _award(tenant_a, badge_a, *[f"l{i}@example.org" for i in range(30)])
    _award(tenant_b, badge_b, "cat@example.org")
    with django_assert_max_num_queries(6):  # colleges, awards, emails, verifications, storage, offboardings
        colleges_with_usage()
    with django_assert_max_num_queries(3):
        usage_by_month(tenant=tenant_a)


def test_a_badges_per_month_limit_stops_the_form_with_a_clear_message(client, alice, tenant_a, badge_a):
    _award(tenant_a, badge_a, "ann@example.org")
    tenant_set_limits(tenant=tenant_a, badges_per_month=2, learners_per_year=None)
    client.force_login(alice)
    url = reverse("assertions:award", args=[tenant_a.slug, badge_a.public_id])
    today = timezone.localdate().isoformat()
    assert client.post(url, {"email": "ben@example.org", "name": "Ben", "issued_on": today}).status_code == 302
    refused = client.post(url, {"email": "cat@example.org", "name": "Cat", "issued_on": today})
    assert refused.status_code == 200
    assert "College A has reached its limit of 2 badges a month" in refused.content.decode()
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 2
        first = Assertion.objects.get(recipient_identity="ann@example.org")
    assert client.get(f"/public/assertions/{first.public_id}", **LD).status_code == 200  # existing: unaffected


def test_a_learners_per_year_limit_stops_the_api_with_403_and_the_reason_but_not_a_known_learner(
        client, alice, tenant_a, badge_a, other_issuer):
    _award(tenant_a, badge_a, "ann@example.org")
    tenant_set_limits(tenant=tenant_a, badges_per_month=None, learners_per_year=1)
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    api = Api(client, secret)
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"
    refused = api.post(url, {"recipient_email": "new@example.org"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("College A has reached its limit of 1 learner a year")
    again = api.post(url, {"recipient_email": "ann@example.org", "allow_duplicate": True})
    assert again.status_code == 201  # a learner already awarded this year takes no new place


def test_a_limit_stops_a_csv_bulk_job_at_the_limit_row_by_row(alice, tenant_a, badge_a):
    tenant_set_limits(tenant=tenant_a, badges_per_month=3, learners_per_year=None)
    data = "email\n" + "".join(f"l{i}@example.org\n" for i in range(5))
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge_a, rows=rows_from_csv(data.encode()))
        job, _ = bulk_job_create(badge_class=badge_a, preview=preview, actor=alice, issue_now=False)
        job = bulk_job_run(job=job)
        assert (job.issued, job.failed) == (3, 2)
        assert [e["row"] for e in job.errors] == [5, 6]
        assert all("limit of 3 badges a month" in e["error"] for e in job.errors)
        assert Assertion.objects.count() == 3


def test_a_cohorts_preview_names_the_rows_past_the_limit(tenant_a, badge_a):
    tenant_set_limits(tenant=tenant_a, badges_per_month=None, learners_per_year=2)
    _award(tenant_a, badge_a, "ann@example.org")
    data = b"email\nann@example.org\nben@example.org\ncat@example.org\n"
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge_a, rows=rows_from_csv(data), allow_duplicate=True)
    assert [r.email for r in preview.good] == ["ann@example.org", "ben@example.org"]
    assert [(p.row, p.email) for p in preview.problems] == [(4, "cat@example.org")]
    assert "limit of 2 learners a year" in preview.problems[0].error


def test_raising_the_limit_lets_awards_through_again(alice, tenant_a, badge_a):
    tenant_set_limits(tenant=tenant_a, badges_per_month=0, learners_per_year=None)
    with pytest.raises(LimitReached):
        _award(tenant_a, badge_a, "ann@example.org")
    tenant_set_limits(tenant=tenant_a, badges_per_month=None, learners_per_year=None)
    assert len(_award(tenant_a, badge_a, "ann@example.org")) == 1
