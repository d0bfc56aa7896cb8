"""The tutor's learner search (by address or name, from its start, across every badge the member may use,
read from an index on PostgreSQL), the dashboard's latest awards and awards needing attention, the revoke
that emails the learner, and a cohort job's email counts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from assertions import selectors
from assertions.models import Assertion, BulkJob
from assertions.services import Recipient, assertion_issue, assertion_revoke
from issuers.models import Membership, OutboxEmail
from issuers.scoping import tenant_scope
from tests.support import issue_one, make_badge

pytestmark = pytest.mark.django_db
M = OutboxEmail.Status


@pytest.fixture
def learners(tenant_a, issuer_a, other_issuer, badge_a):
    """Lee Ann holds a construction badge and a catering one; Ann Lee one; Bo one from catering."""
    knives = make_badge(tenant_a, other_issuer, "Knife Skills")
    with tenant_scope(tenant_a):
        return {
            "lee_build": issue_one(badge_class=badge_a, recipient_identity="lee.ann@example.org",
                                   recipient_name="Lee Ann"),
            "lee_cook": issue_one(badge_class=knives, recipient_identity="lee.ann@example.org",
                                  recipient_name="Lee Ann"),
            "ann": issue_one(badge_class=badge_a, recipient_identity="a.lee@example.org", recipient_name="Ann Lee"),
            "bo": issue_one(badge_class=knives, recipient_identity="bo@example.org", recipient_name="Bo Chen"),
        }


def _membership(tenant, user) -> Membership:
    with tenant_scope(tenant):
        return Membership.objects.get(user=user)


def _found(tenant, user, search: str) -> dict[str, list[str]]:
    with tenant_scope(tenant):
        return {identity: sorted(a.badge_class.name for a in awards)
                for identity, awards in selectors.learner_awards(_membership(tenant, user), search=search)}


def test_a_learner_is_found_by_name_or_address_from_its_start_across_every_badge(tenant_a, alice, learners):
    assert _found(tenant_a, alice, "lee") == {"lee.ann@example.org": ["Knife Skills", "Safe Scaffolding"]}
    assert _found(tenant_a, alice, "  ANN ") == {"a.lee@example.org": ["Safe Scaffolding"]}
    assert _found(tenant_a, alice, "lee.ann@") == {"lee.ann@example.org": ["Knife Skills", "Safe Scaffolding"]}
    assert _found(tenant_a, alice, "chen") == {}  # the middle of a name: not a match
    assert _found(tenant_a, alice, "l") == {}  # one letter: too short to search


def test_a_tutor_limited_to_an_issuer_finds_only_that_issuers_awards(tenant_a, limited, learners):
    assert _found(tenant_a, limited, "lee") == {"lee.ann@example.org": ["Knife Skills"]}
    assert _found(tenant_a, limited, "ann") == {}


def test_another_college_finds_nothing_and_its_page_is_404(client, tenant_a, tenant_b, charlie, learners):
    assert _found(tenant_b, charlie, "lee") == {}
    client.force_login(charlie)
    assert client.get(reverse("assertions:learners", args=[tenant_a.slug]), {"q": "lee"}).status_code == 404
    page = client.get(reverse("assertions:learners", args=[tenant_b.slug]), {"q": "lee"})
    assert b"lee.ann@example.org" not in page.content


def test_the_learner_page_lists_each_learner_with_their_awards(client, tenant_a, viewer, learners):
    client.force_login(viewer)  # viewers read
    page = client.get(reverse("assertions:learners", args=[tenant_a.slug]), {"q": "lee"}).content.decode()
    assert page.count('class="card learner"') == 1
    assert "Knife Skills" in page
    assert "Safe Scaffolding" in page


def test_the_learner_search_reads_the_pattern_indexes_on_postgresql(tenant_a, alice, badge_a, learners):
    with tenant_scope(tenant_a):
        # A college's worth of awards, so the planner chooses as it would in production.
        cohort = [Recipient(identity=f"learner{n:05d}@example.org", name=f"Learner {n}") for n in range(3000)]
        assertion_issue(badge_class=badge_a, recipients=cohort, notify=False, actor=alice)
        awards = selectors.learner_matches(_membership(tenant_a, alice), term="lee")
        assert awards.count() == 2
        sql, params = awards.query.sql_with_params()
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":  # SQLite (make run): no operator classes, no such indexes
                cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'assertion_%_prefix'")
                assert cursor.fetchall() == []
                return
            cursor.execute("ANALYZE assertions_assertion")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    # Both halves of the OR are index conditions (a range on the prefix), not a filter over the college.
    assert re.search(r"assertion_identity_prefix.*\n.*Index Cond: .*recipient_identity\)::text ~>=~ 'lee'", plan), plan
    assert re.search(r"assertion_name_prefix.*\n.*Index Cond: .*lower\(\(recipient_name\)::text\) ~>=~ 'lee'",
                     plan), plan


def test_the_dashboard_shows_latest_awards_and_the_refused_emails(client, tenant_a, alice, learners):
    OutboxEmail.objects.filter(pk=learners["bo"].mail_id).update(status=M.FAILED, error="550 No such mailbox")
    OutboxEmail.objects.filter(pk=learners["ann"].mail_id).update(status=M.UNKNOWN)
    with tenant_scope(tenant_a):
        membership = _membership(tenant_a, alice)
        assert [a.recipient_identity for a in selectors.awards_needing_attention(membership)] == [
            "bo@example.org", "a.lee@example.org"]
        assert len(selectors.latest_awards(membership)) == 4
        assertion_revoke(assertion=learners["bo"], reason="Issued in error", actor=alice)
        assert [a.recipient_identity for a in selectors.awards_needing_attention(membership)] == ["a.lee@example.org"]
    client.force_login(alice)
    page = client.get(reverse("assertions:dashboard", args=[tenant_a.slug])).content.decode()
    assert "Needs attention" in page
    assert "Latest awards" in page


def test_revoking_with_notify_queues_a_revocation_email_with_the_reason(tenant_a, alice, learners):
    with tenant_scope(tenant_a):
        revoked = assertion_revoke(assertion=learners["ann"], reason="Assessment withdrawn", actor=alice,
                                   notify_learner=True)
        mail = OutboxEmail.objects.get(pk=revoked.revocation_mail_id)
        quiet = assertion_revoke(assertion=learners["bo"], reason="Issued in error", actor=alice)
    assert (mail.kind, mail.to, mail.status) == ("revocation", "a.lee@example.org", M.QUEUED)
    assert mail.content["subject"] == "Your badge Safe Scaffolding has been revoked"
    assert "Assessment withdrawn" in mail.content["body"]
    assert quiet.revocation_mail_id is None


def test_the_revoke_page_emails_the_learner_only_when_asked(client, tenant_a, alice, learners):
    client.force_login(alice)
    for award, notify in ((learners["ann"], "on"), (learners["bo"], "")):
        client.post(reverse("assertions:revoke", args=[tenant_a.slug, award.public_id]),
                    {"reason": "Issued in error", "notify_learner": notify})
    with tenant_scope(tenant_a):
        assert Assertion.objects.get(pk=learners["ann"].pk).revocation_mail_id is not None
        assert Assertion.objects.get(pk=learners["bo"].pk).revocation_mail_id is None


def test_a_cohort_jobs_progress_counts_the_emails_sent_failed_and_waiting(tenant_a, badge_a, learners):
    with tenant_scope(tenant_a):
        job = BulkJob.objects.create(tenant=tenant_a, badge_class=badge_a, fingerprint="x", total=3,
                                     status=BulkJob.Status.DONE, issued=3)
        Assertion.objects.filter(pk__in=[learners[k].pk for k in ("lee_build", "ann", "bo")]).update(bulk_job=job)
        OutboxEmail.objects.filter(pk=learners["lee_build"].mail_id).update(status=M.SENT)
        OutboxEmail.objects.filter(pk=learners["ann"].mail_id).update(status=M.FAILED)
        progress = selectors.job_progress(job)
        assert (progress["emails_sent"], progress["emails_failed"], progress["emails_waiting"]) == (1, 1, 1)
        assert progress["final"]
        assert not progress["emails_final"]
        OutboxEmail.objects.filter(pk=learners["bo"].mail_id).update(status=M.SENT)
        assert selectors.job_progress(job)["emails_final"]
