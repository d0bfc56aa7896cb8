"""Every event a college can choose reaches its endpoint, heard from the layer where it happens: award
emails delivered and not, claims, bulk jobs finished, pathways completed, verifications, expiries; and an
endpoint failing for days is disabled with an email to the college's admins."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from assertions.bulk import bulk_job_create, bulk_preview, rows_from_lines
from backpack.services import assertion_claim
from issuers.models import OutboxEmail
from issuers.scoping import tenant_scope
from pathways.services import pathway_create
from tests.support import issue_one, make_badge, make_user
from tests.support.servers import SmtpSink
from verification.tasks import verification_record
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import awards_expired_record

pytestmark = pytest.mark.django_db(transaction=True)


def _award(tenant, badge, email="ann@example.org", **kwargs):
    with tenant_scope(tenant):
        return issue_one(badge_class=badge, recipient_identity=email, recipient_name="Ann Lee", **kwargs)


def test_an_award_email_delivered_is_told_with_the_address(tenant_a, badge_a, endpoint, receiver, eager, sink):
    award = _award(tenant_a, badge_a)
    (got,) = receiver.of_type("award.email_delivered")
    assert got["data"]["award"]["id"] == str(award.public_id)
    assert got["data"]["email"] == {"to": "ann@example.org", "error": None}


def test_an_award_email_refused_is_told_with_the_mail_servers_words(tenant_a, badge_a, endpoint, receiver, eager,
                                                                     settings):
    refusing = SmtpSink(reply="550 5.1.1 No such mailbox").start()
    refusing.settings_for(settings)
    try:
        _award(tenant_a, badge_a, email="nobody@example.org")
    finally:
        refusing.stop()
    (got,) = receiver.of_type("award.email_failed")
    assert "550 5.1.1 No such mailbox" in got["data"]["email"]["error"]
    assert receiver.of_type("award.email_delivered") == []


def test_a_claim_is_told_once(tenant_a, badge_a, endpoint, receiver, eager):
    learner = make_user("ann@example.org")
    award = _award(tenant_a, badge_a, notify=False)
    assertion_claim(assertion=award, user=learner)
    assertion_claim(assertion=award, user=learner)  # already hers: nothing new
    (got,) = receiver.of_type("award.claimed")
    assert got["data"]["award"]["claimed_at"].endswith("Z")


def test_a_bulk_job_finished_is_told_with_its_counts(tenant_a, badge_a, alice, endpoint, receiver, eager):
    with tenant_scope(tenant_a):
        preview = bulk_preview(badge_class=badge_a, rows=rows_from_lines("a@example.org\nb@example.org"))
        job, _ = bulk_job_create(badge_class=badge_a, preview=preview, notify=False, actor=alice)
    (got,) = receiver.of_type("bulk_job.finished")
    assert got["data"]["bulk_job"]["id"] == str(job.public_id)
    assert (got["data"]["bulk_job"]["status"], got["data"]["bulk_job"]["issued"]) == ("done", 2)
    assert len(receiver.of_type("award.issued")) == 2


def test_a_pathway_completed_is_told_with_its_capstone(tenant_a, issuer_a, badge_a, alice, endpoint, receiver, eager):
    capstone = make_badge(tenant_a, issuer_a, "Site Ready")
    with tenant_scope(tenant_a):
        pathway = pathway_create(tenant=tenant_a, name="Site Ready", tree={"badge": str(badge_a.public_id)},
                                 capstone=capstone, actor=alice, retro_award=False)
    _award(tenant_a, badge_a, notify=False)
    (got,) = receiver.of_type("pathway.completed")
    assert got["data"]["pathway"] == {"id": str(pathway.public_id), "name": "Site Ready"}
    assert got["data"]["learner"] == "ann@example.org"
    assert got["data"]["capstone"]["badge_class"]["name"] == "Site Ready"


def test_a_verification_of_our_badge_is_told_once_per_visitor_and_day(tenant_a, badge_a, endpoint, receiver):
    award = _award(tenant_a, badge_a, notify=False)  # no eager: only the verification is recorded here
    for _ in range(2):
        verification_record(assertion_public_id=str(award.public_id), verdict="valid", source="api",
                            visitor="visitor-1", day=date.today().isoformat())
    verification_record(assertion_public_id=None, verdict="invalid", source="api")  # someone else's badge
    from webhooks.tasks import webhook_deliveries_send

    webhook_deliveries_send(tenant_id=tenant_a.pk, endpoint_id=endpoint.pk)
    (got,) = receiver.of_type("award.verified")
    assert got["data"]["verification"]["verdict"] == "valid"
    assert got["data"]["award"]["id"] == str(award.public_id)


def test_an_award_that_expired_is_told_once_by_the_hourly_scan(tenant_a, badge_a, endpoint, receiver, eager):
    today = timezone.localdate()
    award = _award(tenant_a, badge_a, notify=False, issued_on=today - timedelta(days=30),
                   expires=today - timedelta(days=1))
    _award(tenant_a, badge_a, email="later@example.org", notify=False, expires=today + timedelta(days=30))
    assert awards_expired_record() == 1
    assert awards_expired_record() == 1  # the same event again: kept once (one row per event and endpoint)
    (got,) = receiver.of_type("award.expired")
    assert got["data"]["award"]["id"] == str(award.public_id)
    with tenant_scope(tenant_a):
        assert WebhookDelivery.objects.filter(event_type="award.expired").count() == 1


def test_an_endpoint_failing_for_days_is_disabled_and_the_admins_are_emailed(
        tenant_a, badge_a, endpoint, receiver, eager, sink, settings):
    receiver.stop()
    with tenant_scope(tenant_a):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=6))
    _award(tenant_a, badge_a, notify=False)

    with tenant_scope(tenant_a):
        endpoint.refresh_from_db()
        waiting = WebhookDelivery.objects.get()
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_reason.startswith("Every delivery failed for 5 days")
    assert waiting.status == "pending"  # kept for when it is enabled again
    (message,) = [m for m in sink.messages if "Webhook disabled" in m["Subject"]]
    assert message["To"] == "alice@college-a.example"
    assert endpoint.url in message.get_content()
    assert OutboxEmail.objects.filter(kind="webhook_disabled", status="sent").count() == 1

    receiver.start()
    _award(tenant_a, badge_a, email="second@example.org", notify=False)  # disabled: not sent, kept
    assert receiver.received == []
    from webhooks.services import endpoint_enable

    with tenant_scope(tenant_a):
        endpoint_enable(endpoint=endpoint)
    assert len(receiver.of_type("award.issued")) == 2
