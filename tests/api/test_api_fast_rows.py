"""The API's award list writes its page with ``assertion_rows`` over ``.values()`` (not DRF's per-field
serializer, most of a 500-award page's CPU): the same JSON byte for byte as ``AssertionSerializer``,
for awards of every kind, and the list answers with it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from assertions.models import Assertion, BulkJob
from assertions.serializers import ASSERTION_ROW_COLUMNS, AssertionSerializer, assertion_rows
from assertions.services import Recipient, assertion_issue, assertion_revoke
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope


def _every_kind(tenant, badge, alice):
    """Plain, emailed (queued, sent, failed with an error, unknown), revoked, expired, claimed, with
    evidence and a narrative, OB 3.0 signed, baked and failed to bake, from a cohort job, without a name."""
    now = timezone.now()
    with tenant_scope(tenant):
        plain = assertion_issue(badge_class=badge, notify=False, actor=alice,
                                recipients=[Recipient(identity="plain@example.org")])
        mailed = assertion_issue(badge_class=badge, actor=alice, recipients=[
            Recipient(identity=f"mail{n}@example.org", name=f"Mail Ölçü {n}") for n in range(4)])
        rich = assertion_issue(badge_class=badge, notify=False, actor=alice, verification_type="signed",
                               recipients=[Recipient(
                                   identity="rich@example.org", name='Rich "Quoted" <Name>',
                                   narrative="Built a tower\nin the rain.", issued_on=now - timedelta(days=400),
                                   expires=now - timedelta(days=35),
                                   evidence=({"url": "https://example.org/e/1", "narrative": "Photo"},
                                             {"narrative": "Observed by the assessor."}))])
        later = assertion_issue(badge_class=badge, notify=False, actor=alice, recipients=[
            Recipient(identity="later@example.org", expires=now + timedelta(days=365))])
        revoked = assertion_issue(badge_class=badge, notify=False, actor=alice,
                                  recipients=[Recipient(identity="revoked@example.org")])
        assertion_revoke(assertion=revoked[0], reason="Issued in error — sorry", actor=alice)
        job = BulkJob.objects.create(tenant=tenant, badge_class=badge, fingerprint="f" * 64, source="api")
        awards = [*plain, *mailed, *rich, *later, *revoked]
        ids = [a.pk for a in awards]
        # What the worker, the sender and a learner leave (set here, as their own tests check them).
        Assertion.objects.filter(pk__in=ids[1:3]).update(bake_status="done", bulk_job=job)
        Assertion.objects.filter(pk=rich[0].pk).update(bake_status="done", claimed_at=now - timedelta(hours=5))
        OutboxEmail.objects.filter(pk=mailed[1].mail_id).update(status="sent", sent_at=now)
        OutboxEmail.objects.filter(pk=mailed[2].mail_id).update(status="failed", error="550 No such mailbox")
        OutboxEmail.objects.filter(pk=mailed[3].mail_id).update(status="unknown", error="Worker died")
        Assertion.objects.filter(pk=later[0].pk).update(bake_status="failed")
    return ids


def test_the_fast_rows_are_the_serializers_json_byte_for_byte_for_awards_of_every_kind(tenant_a, badge_a, alice):
    ids = _every_kind(tenant_a, badge_a, alice)
    with tenant_scope(tenant_a):
        listed = Assertion.objects.filter(pk__in=ids).order_by("-issued_on", "-id")
        instances = list(listed.select_related("badge_class", "bulk_job", "mail"))
        rows = list(listed.values(*ASSERTION_ROW_COLUMNS))
        slow = JSONRenderer().render(AssertionSerializer(instances, many=True).data)
        fast = JSONRenderer().render(assertion_rows(rows))
    kinds = {(a["status"], a["email_status"], bool(a["evidence"]), a["verification"], a["expires"] is None,
              a["bulk_job"] is None) for a in AssertionSerializer(instances, many=True).data}
    assert len(kinds) >= 8  # the awards above are of different kinds, not eight of one
    assert {"revoked", "claimed", "email_sent", "email_failed", "email_unknown", "recorded", "baked",
            "image_failed"} <= {k[0] for k in kinds}
    assert fast == slow


def test_the_list_answers_with_the_serializers_json(api_a, tenant_a, badge_a, alice):
    ids = _every_kind(tenant_a, badge_a, alice)
    answer = api_a.get("/api/v1/assertions/", {"page_size": 500})
    assert answer.status_code == 200
    with tenant_scope(tenant_a):
        instances = list(Assertion.objects.filter(pk__in=ids).select_related("badge_class", "bulk_job", "mail")
                         .order_by("-issued_on", "-id"))
    expected = JSONRenderer().render(AssertionSerializer(instances, many=True).data)
    assert JSONRenderer().render(answer.json()["results"]) == expected
    # Filters and cursors still apply to the rows read with .values().
    first = api_a.get("/api/v1/assertions/", {"page_size": 2, "status": "email_failed"}).json()
    assert [a["recipient_email"] for a in first["results"]] == ["mail2@example.org"]
    walked, url = [], "/api/v1/assertions/?page_size=3"
    while url:
        page = api_a.get(url.replace("http://testserver", "")).json()
        walked += [a["id"] for a in page["results"]]
        url = page["next"]
    assert walked == [str(a.public_id) for a in instances]


def test_a_single_awards_answer_is_the_serializers_json_of_the_award(api_a, tenant_a, badge_a):
    """The 201 of POST .../assertions/ is written by assertion_row() + assertion_rows() from the new award in
    memory: the same JSON as AssertionSerializer of the award read back, for plain, emailed, signed and
    dated awards with evidence."""
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"
    now = timezone.now()
    bodies = [
        {"recipient_email": "plain@example.org", "notify": False},
        {"recipient_email": "Mailed@Example.org", "recipient_name": "Zoë Siân"},
        {"recipient_email": "rich@example.org", "recipient_name": 'Rich "Quoted" <Name>', "verification": "signed",
         "narrative": "Built a tower\nin the rain.", "issued_on": "2026-01-05",
         "expires": (now + timedelta(days=30)).isoformat(),
         "evidence": [{"url": "https://example.org/e/1", "narrative": "Photo"}, {"narrative": "Observed."}]},
    ]
    for body in bodies:
        answer = api_a.post(url, body)
        assert answer.status_code == 201, answer.content
        with tenant_scope(tenant_a):
            award = Assertion.objects.select_related("badge_class", "bulk_job", "mail").get(
                public_id=answer.json()["id"])
            expected = JSONRenderer().render(AssertionSerializer(award).data)
        assert answer.content == expected
