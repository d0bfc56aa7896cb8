"""One duplicate policy, decided by the issuing service: a learner who already holds a badge is not
given a second one unless the tutor or the API says so (``allow_duplicate``), whether the award is
made from the two-click form, the API or a CSV."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assertions.bulk import bulk_job_create, bulk_job_run, bulk_preview, rows_from_lines
from assertions.models import Assertion
from assertions.services import AlreadyHolds, Recipient, assertion_issue, assertion_revoke
from badges.services import badge_class_create
from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support import issue_one, png_bytes, postgresql_only

HOLDER = "holder@example.org"


@pytest.fixture
def badge(tenant_a, issuer_a, alice):
    with tenant_scope(tenant_a):
        badge = badge_class_create(issuer=issuer_a, name="Site Safety", description="Works safely on site.",
                                   image=png_bytes(), criteria_narrative="Passes the site walk.", actor=alice)
        issue_one(badge_class=badge, recipient_identity=HOLDER, notify=False)
    return badge


@pytest.fixture
def api_key(tenant_a, alice):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
    return secret


def _held(tenant, badge, identity=HOLDER):
    with tenant_scope(tenant):
        return Assertion.objects.filter(badge_class=badge, recipient_identity=identity).count()


def test_the_service_refuses_a_second_award_unless_allowed(tenant_a, badge):
    with tenant_scope(tenant_a):
        with pytest.raises(AlreadyHolds, match=f"{HOLDER} already holds Site Safety"):
            assertion_issue(badge_class=badge, recipients=[Recipient(identity=HOLDER.upper())])
        assertion_issue(badge_class=badge, recipients=[Recipient(identity=HOLDER)], allow_duplicate=True)
    assert _held(tenant_a, badge) == 2


def test_a_learner_whose_award_was_revoked_may_be_awarded_again(tenant_a, badge):
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=Assertion.objects.get(recipient_identity=HOLDER), reason="Issued in error")
        assertion_issue(badge_class=badge, recipients=[Recipient(identity=HOLDER)])
    assert _held(tenant_a, badge) == 2


def test_the_same_learner_twice_in_one_batch_gets_one_award(tenant_a, badge):
    with tenant_scope(tenant_a):
        with pytest.raises(AlreadyHolds, match="Row 3: Duplicate: new@example.org is already on line 2"):
            assertion_issue(badge_class=badge, recipients=[Recipient(identity="new@example.org", row=2),
                                                           Recipient(identity="New@example.org", row=3)])
    assert _held(tenant_a, badge, "new@example.org") == 0


def test_the_form_says_the_learner_holds_the_badge_and_awards_again_when_ticked(client, alice, tenant_a, badge):
    client.force_login(alice)
    url = reverse("assertions:award", kwargs={"tenant_slug": tenant_a.slug, "public_id": badge.public_id})
    form = {"email": HOLDER, "name": "Holder", "issued_on": timezone.localdate().isoformat()}
    page = client.get(url).content.decode()
    assert 'name="allow_duplicate"' in page
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert f"{HOLDER} already holds Site Safety." in refused.content.decode()
    assert "Award it again" in refused.content.decode()
    assert _held(tenant_a, badge) == 1
    assert client.post(url, {**form, "allow_duplicate": "on"}).status_code == 302
    assert _held(tenant_a, badge) == 2


def test_the_api_answers_409_for_a_holder_and_awards_again_with_allow_duplicate(client, tenant_a, badge, api_key):
    url = f"/api/v1/badgeclasses/{badge.public_id}/assertions/"
    headers = {"Authorization": f"Bearer {api_key}"}
    refused = client.post(url, {"recipient_email": HOLDER}, content_type="application/json", headers=headers)
    assert refused.status_code == 409
    body = refused.json()
    assert body["detail"] == (f"{HOLDER} already holds Site Safety. Send \"allow_duplicate\": true to award it "
                              "again.")
    assert body["errors"] == {"recipient_email": [f"{HOLDER} already holds Site Safety."]}
    assert _held(tenant_a, badge) == 1
    again = client.post(url, {"recipient_email": HOLDER, "allow_duplicate": True}, content_type="application/json",
                        headers=headers)
    assert again.status_code == 201, again.content
    assert _held(tenant_a, badge) == 2


def test_a_cohort_lists_holders_as_problems_and_awards_them_when_allowed(tenant_a, badge, alice):
    rows = rows_from_lines(f"{HOLDER}\nnew@example.org")
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge, rows=rows)
        assert [(p.row, p.error) for p in preview.problems] == [(1, "Already holds Site Safety.")]
        allowed = bulk_preview(badge_class=badge, rows=rows, allow_duplicate=True)
        assert allowed.problems == []
        job, _ = bulk_job_create(badge_class=badge, preview=allowed, actor=alice, issue_now=False,
                                 allow_duplicate=True)
        bulk_job_run(job=job)
    assert _held(tenant_a, badge) == 2
    assert _held(tenant_a, badge, "new@example.org") == 1


def test_the_bulk_api_awards_holders_again_only_with_allow_duplicate(client, tenant_a, badge, api_key):
    url = f"/api/v1/badgeclasses/{badge.public_id}/assertions/bulk/?dry_run=1"
    headers = {"Authorization": f"Bearer {api_key}"}
    rows = [{"email": HOLDER}, {"email": "new@example.org"}]
    refused = client.post(url, {"rows": rows}, content_type="application/json", headers=headers).json()
    assert [(p["row"], p["email"], p["error"]) for p in refused["problems"]] == [
        (2, HOLDER, "Already holds Site Safety.")]
    allowed = client.post(url, {"rows": rows, "allow_duplicate": True}, content_type="application/json",
                          headers=headers).json()
    assert (allowed["good"], allowed["problems"]) == (2, [])


@postgresql_only("reads its query plan")
def test_the_duplicate_check_reads_an_address_index(tenant_a, badge_a):
    """EXPLAIN of the issuing service's duplicate check (the learners of a batch who already hold the badge)
    once migration 0017 dropped (badge class, address), which PostgreSQL did not choose at 100,000 awards
    either: an index on the address answers it."""
    from django.db import connection

    from assertions.services import _held

    with tenant_scope(tenant_a):
        # A college's worth of awards, analysed, so the planner chooses as it would in production.
        assertion_issue(badge_class=badge_a, notify=False,
                        recipients=[Recipient(identity=f"learner{n:05d}@example.org") for n in range(3000)])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE assertions_assertion")
        plan = _held([badge_a.pk], ["learner00017@example.org", "bo@example.org"]).explain()
    # An index on the address answers it (the badge's pattern index, or the backpack's with one college):
    # the addresses are an index condition, never a filter over the badge's awards, and nothing is sorted.
    assert re.search(r"Index Scan using assertion_\w+ .*\n.*Index Cond: .*recipient_identity\)::text = ANY", plan), plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan
