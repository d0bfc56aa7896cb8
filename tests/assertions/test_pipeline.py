"""The award pipeline in this process, against a real SMTP sink (aiosmtpd) through Django's SMTP backend:
bake then email, at most once, permanent failures recorded, temporary ones retried, and the sweep."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from assertions import links
from assertions.models import Assertion
from assertions.pipeline import bake_pending
from assertions.services import Recipient, assertion_issue, assertion_resend_email, assertion_revoke
from assertions.tasks import pipeline_sweep, process_assertions
from badges.models import BadgeClass
from issuers.models import OutboxEmail
from issuers.outbox import emails_send
from issuers.scoping import tenant_scope
from issuers.tasks import outbox_sweep
from tests.support import eager_tasks, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def badge(tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Safe Scaffolding",
                           description="Erects a scaffold tower to the TG20 guidance.")
        badge.image.save("scaffold.png", ContentFile(png_bytes()), save=False)
        badge.save()
    return badge


def issue(tenant, badge, *emails: str) -> list[Assertion]:
    with tenant_scope(tenant):
        return assertion_issue(badge_class=badge, recipients=[
            Recipient(identity=e, name=e.split("@")[0].title()) for e in emails])


def run(tenant, assertions: list[Assertion]) -> None:
    process_assertions(tenant_id=tenant.pk, assertion_ids=[a.pk for a in assertions])


def rows(tenant, assertions: list[Assertion]) -> list[Assertion]:
    with tenant_scope(tenant):
        return list(Assertion.objects.filter(pk__in=[a.pk for a in assertions]).order_by("pk"))


def test_a_batch_is_baked_then_emailed_over_smtp(tenant_a, badge, sink):
    issued = issue(tenant_a, badge, "ann@example.org", "ben@example.org", "cat@example.org")
    run(tenant_a, issued)
    for row in rows(tenant_a, issued):
        assert row.bake_status == Assertion.BakeStatus.DONE
        assert row.baked_image.name.endswith(f"{row.public_id}.png")
        assert row.email_status == Assertion.EmailStatus.SENT
        assert row.email_sent_at is not None
        assert row.mail.attempts == 1
        assert row.mail.status == OutboxEmail.Status.SENT  # the status is the outbox row's
        assert row.pipeline_status == "email_sent"
    assert sink.assertion_ids() == {str(a.public_id): 1 for a in issued}


def test_running_the_same_batch_twice_sends_each_email_once(tenant_a, badge, sink):
    issued = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    run(tenant_a, issued)
    run(tenant_a, issued)
    assert sink.assertion_ids() == {str(a.public_id): 1 for a in issued}


def test_a_permanent_refusal_is_recorded_as_failed_with_the_servers_reason(tenant_a, badge, sink):
    sink.reply = "550 5.1.1 Mailbox does not exist"
    (assertion,) = issue(tenant_a, badge, "nobody@example.org")
    run(tenant_a, [assertion])  # no retry is raised: a 5xx will not mend itself
    (row,) = rows(tenant_a, [assertion])
    assert row.email_status == Assertion.EmailStatus.FAILED
    assert "550" in row.email_error
    assert "Mailbox does not exist" in row.email_error
    assert row.pipeline_status == "email_failed"


def test_a_mail_server_that_is_down_is_retried_later_and_the_rows_stay_pending(tenant_a, badge, sink, settings):
    sink.stop()  # connection refused
    issued = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    with pytest.raises(Retry):
        run(tenant_a, issued)
    for row in rows(tenant_a, issued):
        assert row.email_status == Assertion.EmailStatus.PENDING
        assert row.bake_status == Assertion.BakeStatus.DONE
        assert "could not be reached" in row.email_error
        # the outbox row is dated at the first retry (10 s on), so the sweep does not start a second retry
        # chain meanwhile
        assert timezone.now() + timedelta(seconds=5) < row.mail.updated_at
        assert row.mail.updated_at < timezone.now() + timedelta(seconds=settings.TASK_MAX_COUNTDOWN)
    sink.start()
    run(tenant_a, issued)
    run(tenant_a, issued)
    assert sink.assertion_ids() == {str(a.public_id): 1 for a in issued}
    assert {r.email_status for r in rows(tenant_a, issued)} == {Assertion.EmailStatus.SENT}


def test_a_temporary_refusal_after_the_last_retry_is_recorded_as_failed(tenant_a, badge, sink):
    sink.reply = "451 4.3.0 Try again later"
    (assertion,) = issue(tenant_a, badge, "ann@example.org")
    process_assertions.apply(kwargs={"tenant_id": tenant_a.pk, "assertion_ids": [assertion.pk]},
                             retries=process_assertions.max_retries)
    (row,) = rows(tenant_a, [assertion])
    assert row.email_status == Assertion.EmailStatus.FAILED
    assert "451" in row.email_error
    assert "Gave up after 9 tries" in row.email_error


def test_an_award_revoked_before_sending_is_not_emailed(tenant_a, badge, sink):
    keep, revoke = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=revoke, reason="Awarded by mistake")
    run(tenant_a, [keep, revoke])
    assert sink.assertion_ids() == {str(keep.public_id): 1}
    assert rows(tenant_a, [revoke])[0].email_status == Assertion.EmailStatus.NONE


def test_resending_after_a_failure_sends_exactly_once(tenant_a, badge, sink):
    sink.reply = "550 5.7.1 Rejected"
    (assertion,) = issue(tenant_a, badge, "ann@example.org")
    run(tenant_a, [assertion])
    (failed,) = rows(tenant_a, [assertion])
    assert failed.email_status == Assertion.EmailStatus.FAILED
    refused = failed.mail_id
    sink.reply = None
    with tenant_scope(tenant_a):
        assertion_resend_email(assertion=failed)
    run(tenant_a, [assertion])
    run(tenant_a, [assertion])
    (row,) = rows(tenant_a, [assertion])
    assert row.email_status == Assertion.EmailStatus.SENT
    assert row.email_error == ""
    # A resend is a new message in the outbox; the refused one keeps the server's words.
    assert row.mail_id != refused
    assert OutboxEmail.objects.get(pk=refused).status == OutboxEmail.Status.FAILED
    assert sink.assertion_ids() == {str(assertion.public_id): 1}


def test_the_sweep_marks_an_email_stuck_sending_as_delivery_unknown_and_never_resends_it(tenant_a, badge, sink,
                                                                                       settings):
    settings.EMAIL_SENDING_TIMEOUT = 60
    stuck, recent = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    # as a worker killed mid-send leaves them
    OutboxEmail.objects.filter(pk=stuck.mail_id).update(status=OutboxEmail.Status.SENDING,
                                                        started_at=timezone.now() - timedelta(seconds=61))
    OutboxEmail.objects.filter(pk=recent.mail_id).update(status=OutboxEmail.Status.SENDING,
                                                         started_at=timezone.now() - timedelta(seconds=5))
    assert outbox_sweep()["unknown"] == 1
    stuck_row, recent_row = rows(tenant_a, [stuck, recent])
    assert stuck_row.email_status == Assertion.EmailStatus.UNKNOWN
    assert stuck_row.pipeline_status == "email_unknown"
    assert "may or may not have arrived" in stuck_row.email_error
    assert recent_row.email_status == Assertion.EmailStatus.SENDING  # its worker may still be at it
    run(tenant_a, [stuck, recent])
    assert pipeline_sweep()["requeued"] == 0
    assert outbox_sweep() == {"unknown": 0, "requeued": 0}
    assert sink.messages == []


def test_the_sweep_sends_pending_work_older_than_the_stuck_limit(tenant_a, badge, sink, settings):
    settings.PIPELINE_STUCK_AFTER = 120
    old, new = issue(tenant_a, badge, "ann@example.org", "ben@example.org")  # no broker took their tasks
    with tenant_scope(tenant_a):
        Assertion.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(seconds=121))
    with eager_tasks():  # the sweep's enqueue runs the task here, against the sink
        counts = pipeline_sweep()
    assert counts["requeued"] == 1
    assert sink.assertion_ids() == {str(old.public_id): 1}
    old_row, new_row = rows(tenant_a, [old, new])
    assert old_row.bake_status == Assertion.BakeStatus.DONE
    assert new_row.email_status == Assertion.EmailStatus.PENDING


def test_the_award_email_links_the_badge_and_offers_claim_linkedin_and_download(tenant_a, badge, sink):
    tenant_a.name = 'St. Mary\'s College, "Leeds"'  # a comma and quotes must not break the From header
    tenant_a.reply_to_email = "tutors@stmarys.example"
    tenant_a.primary_colour = "#7c2d12"
    tenant_a.save()
    (assertion,) = issue(tenant_a, badge, "ann.lee@example.org")
    run(tenant_a, [assertion])
    (message,) = sink.messages
    (row,) = rows(tenant_a, [assertion])
    assert message["To"] == "ann.lee@example.org"
    assert message["Subject"] == "You've earned a badge: Safe Scaffolding"
    assert message["From"].addresses[0].display_name == 'St. Mary\'s College, "Leeds" via Badge Platform'
    assert message["Reply-To"].addresses[0].addr_spec == "tutors@stmarys.example"
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}  # linked, never attached
    text, html = parts["text/plain"], parts["text/html"]
    with tenant_scope(tenant_a):
        # The claim link is signed with the time it was written (seconds): read it back rather than write
        # it again, which a busy machine may do a second later.
        expected = [links.download_url(row), links.verify_url(row)]
        linkedin = links.linkedin_add_url(row)
    for body in (text, html):
        assert "Hello Ann.Lee" in body
        assert "Erects a scaffold tower to the TG20 guidance." in body
        assert "College A Construction" in body
        for url in expected:
            assert url in body
        claim = re.search(r"/claim/([^/\s\"]+)/", body).group(1)
        assert links.claim_token_read(claim) == (str(row.public_id), row.claim_nonce)
    assert linkedin in text
    assert linkedin.replace("&", "&amp;") in html
    assert f'<img src="{links.badge_png_url(row)}' in html
    assert f'href="{settings.PUBLIC_BASE_URL}/claim/' in html
    assert "View and claim your badge" in html
    assert "#7c2d12" in html


def bake_then_send(tenant, assertions: list[Assertion], between) -> None:
    """What ``process_assertions`` does, with ``between`` run after the bake and before the email: the email
    must go by what the database says then, not by what the bake read."""
    mail_ids = [a.mail_id for a in assertions]
    with tenant_scope(tenant):
        bake_pending([a.pk for a in assertions])
        between()
        emails_send(mail_ids, check_ready=False)


def test_an_award_revoked_between_its_bake_and_its_email_gets_no_email(tenant_a, badge, sink):
    keep, revoke = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    bake_then_send(tenant_a, [keep, revoke], lambda: assertion_revoke(assertion=revoke, reason="Awarded by mistake"))
    assert sink.assertion_ids() == {str(keep.public_id): 1}
    assert rows(tenant_a, [revoke])[0].email_status == Assertion.EmailStatus.NONE


def test_an_award_revoked_once_its_email_was_claimed_is_not_sent_though_the_bake_read_it_live(tenant_a, badge, sink):
    """The revocation commits after the send claimed the email (so it could not cancel it): the awards the
    bake read say "live", the database says revoked, and the database wins."""
    keep, revoke = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    bake_then_send(tenant_a, [keep, revoke], lambda: Assertion.objects.filter(pk=revoke.pk).update(revoked=True))
    assert sink.assertion_ids() == {str(keep.public_id): 1}
    mail = OutboxEmail.objects.get(pk=revoke.mail_id)
    assert (mail.status, mail.error) == (OutboxEmail.Status.FAILED, "The award was revoked before its email went out.")


def test_a_learner_corrected_between_the_bake_and_the_email_is_emailed_as_corrected(tenant_a, badge, sink):
    ann, ben = issue(tenant_a, badge, "ann@example.org", "ben@example.org")
    bake_then_send(tenant_a, [ann, ben], lambda: Assertion.objects.filter(pk=ann.pk).update(
        recipient_name="Ann Corrected", recipient_identity="ann.c@example.org"))
    assert sink.assertion_ids() == {str(ann.public_id): 1, str(ben.public_id): 1}
    by_id = {message["X-Badge-Assertion"]: message for message in sink.messages}
    assert by_id[str(ann.public_id)]["To"] == "ann.c@example.org"
    assert "Ann Corrected" in by_id[str(ann.public_id)].get_body(("plain",)).get_content()
    assert "Ben" in by_id[str(ben.public_id)].get_body(("plain",)).get_content()
