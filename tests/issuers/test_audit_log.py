"""The audit log people can use: sentences, filters, keyset pages, CSV, retention, and its indexes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assertions.services import assertion_revoke
from issuers.audit import AuditFilter, audit_entries_prune, audit_filtered, mask, sentence
from issuers.context import tenant_context
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope, unscoped
from issuers.services import api_key_create, audit_record
from tests.support import issue_one, make_badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_aid(tenant_a, issuer_a):
    return make_badge(tenant_a, issuer_a, "First Aid at Work")


def _url(tenant, **params):
    from urllib.parse import urlencode

    return f"/t/{tenant.slug}/audit/" + (f"?{urlencode(params)}" if params else "")


def test_a_revocation_reads_as_a_sentence_naming_the_badge_and_the_masked_learner(tenant_a, alice, first_aid, client):
    alice.name = "Ann Tutor"
    alice.save()
    with tenant_context(tenant_a, alice):
        award = issue_one(badge_class=first_aid, recipient_identity="learner@example.org", actor=alice, notify=False)
        assertion_revoke(assertion=award, reason="sent to the wrong address", actor=alice)
        entry = AuditEntry.objects.filter(action="assertion.revoke").get()
    assert f"{entry.actor.name} {sentence(entry)}" == (
        "Ann Tutor revoked First Aid at Work from l•••@example.org: sent to the wrong address")
    assert (entry.learner, entry.badge) == ("l•••@example.org", first_aid.public_id)
    client.force_login(alice)
    page = client.get(_url(tenant_a)).content.decode()
    revoked = "<strong>Ann Tutor</strong> revoked First Aid at Work from l•••@example.org: sent to the wrong address"
    assert revoked in page
    assert "<strong>Ann Tutor</strong> awarded First Aid at Work to l•••@example.org" in page
    assert "learner@example.org" not in page


def test_learners_are_masked_whatever_their_identity():
    assert mask("ann.smith@example.org") == "a•••@example.org"
    assert mask("https://portfolio.example/ann") == "h•••nn"
    assert mask("abc") == "•••"


def test_a_batch_award_reads_as_one_sentence_with_its_count(tenant_a, alice, first_aid):
    from assertions.services import Recipient, assertion_issue

    with tenant_context(tenant_a, alice):
        assertion_issue(badge_class=first_aid, recipients=[Recipient(identity=f"l{i}@example.org") for i in range(3)],
                        actor=alice, notify=False)
        (entry,) = AuditEntry.objects.filter(action="assertion.issue")
    assert sentence(entry) == "awarded First Aid at Work to 3 learners"


def test_the_log_filters_by_person_or_key_action_badge_and_day(tenant_a, alice, bob, first_aid, badge_a, client):
    with tenant_context(tenant_a, alice):
        key, _ = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
        issue_one(badge_class=first_aid, recipient_identity="one@example.org", actor=key, notify=False)
        issue_one(badge_class=badge_a, recipient_identity="two@example.org", actor=bob, notify=False)
        old = issue_one(badge_class=badge_a, recipient_identity="three@example.org", actor=bob, notify=False)
        AuditEntry.objects.filter(object_id=str(old.public_id)).update(created_at=timezone.now() - timedelta(days=40))
    client.force_login(alice)

    def shown(**params) -> str:
        response = client.get(_url(tenant_a, **params))
        assert response.status_code == 200
        return response.content.decode()

    by_key = shown(actor=f"API key {key.prefix}")
    assert "o•••@example.org" in by_key
    assert "t•••@example.org" not in by_key
    by_bob = shown(actor=bob.email, action="assertion.issue")
    assert "t•••@example.org" in by_bob
    assert "o•••@example.org" not in by_bob
    by_badge = shown(badge=str(first_aid.public_id))
    assert "o•••@example.org" in by_badge
    assert "t•••@example.org" not in by_badge  # the other badge's awards
    assert shown().count("t•••@example.org") == 2  # two@ and three@ (40 days ago) mask alike
    today = timezone.localdate()
    assert shown(since=(today - timedelta(days=7)).isoformat(), until=today.isoformat()).count("t•••@") == 1
    assert "The &#x27;From&#x27; day is after the &#x27;To&#x27; day." in shown(since="2026-05-02", until="2026-05-01")
    assert shown(since="not a date").count("Enter a valid date") == 1


def test_pages_follow_each_other_by_keyset_with_no_entry_twice_or_missed(tenant_a, alice, client):
    with tenant_scope(tenant_a):
        for i in range(120):
            audit_record(tenant=tenant_a, action="issuer.update", actor=alice, label=f"Issuer {i:03d}")
    client.force_login(alice)
    seen, url = [], _url(tenant_a, action="issuer.update")
    while True:
        response = client.get(url)
        rows = response.context["rows"]
        seen += [entry.object_label for entry, _, _ in rows]
        if not response.context["after"]:
            break
        url = _url(tenant_a, action="issuer.update", after=response.context["after"])
    assert seen == [f"Issuer {i:03d}" for i in reversed(range(120))]
    tampered = client.get(_url(tenant_a, after="123:forged"))
    assert tampered.status_code == 200  # a damaged link shows the newest page


def test_the_csv_export_follows_the_filters_masks_learners_and_neutralises_formulas(tenant_a, alice, issuer_a,
                                                                                    client):
    formula = make_badge(tenant_a, issuer_a, "=HYPERLINK(\"http://evil\")")
    with tenant_context(tenant_a, alice):
        issue_one(badge_class=formula, recipient_identity="ann@example.org", actor=alice, notify=False)
    client.force_login(alice)
    response = client.get(f"/t/{tenant_a.slug}/audit/export.csv?action=assertion.issue")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == ["when", "who", "actor", "action", "what", "object type", "object id", "learner"]
    assert len(rows) == 1
    assert rows[0][4] == "awarded =HYPERLINK(\"http://evil\") to a•••@example.org"  # mid-cell: harmless
    assert rows[0][7] == "a•••@example.org"
    assert "ann@example.org" not in text


def test_outsiders_and_tutors_cannot_read_or_export_the_log(tenant_a, tenant_b, charlie, bob, viewer, client):
    for path in (_url(tenant_a), f"/t/{tenant_a.slug}/audit/export.csv"):
        client.force_login(charlie)
        assert client.get(path).status_code == 404
        client.force_login(bob)  # an issuer (tutor): not the audit log
        assert client.get(path).status_code == 403
        client.force_login(viewer)
        assert client.get(path).status_code == 200


def test_entries_older_than_the_retention_period_are_deleted_in_batches_in_every_college(
        tenant_a, tenant_b, alice, charlie, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    long_ago = timezone.now() - timedelta(days=400)
    for tenant, actor in ((tenant_a, alice), (tenant_b, charlie)):
        with tenant_scope(tenant):
            for _ in range(7):
                audit_record(tenant=tenant, action="issuer.update", actor=actor, label="old")
            AuditEntry.objects.filter(object_label="old").update(created_at=long_ago)
            audit_record(tenant=tenant, action="issuer.update", actor=actor, label="recent")
    assert audit_entries_prune(batch=3) == 14
    with unscoped("test: every college's entries"):
        assert not AuditEntry.objects.filter(object_label="old").exists()
        assert AuditEntry.objects.filter(object_label="recent").count() == 2


def test_the_beat_schedule_prunes_the_log_daily(settings):
    assert settings.CELERY_BEAT_SCHEDULE["audit-prune"] == {"task": "issuers.tasks.audit_prune",
                                                            "schedule": 24 * 3600}


@pytest.mark.parametrize("flt", [AuditFilter(), AuditFilter(action="assertion.revoke"),
                                 AuditFilter(actor="ann@example.org"),
                                 AuditFilter(badge="7b0e4f0e-54a1-4a36-9d42-1c0ad5d4f6aa")])
def test_each_page_of_the_log_is_read_from_an_index_without_sorting(tenant_a, flt):
    with tenant_scope(tenant_a):
        sql, params = audit_filtered(flt).filter(id__lt=10**9)[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")  # a plan without sorting must exist: an index
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Sort" not in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "TEMP B-TREE" not in plan, plan
    assert "audit_tenant_" in plan, plan
