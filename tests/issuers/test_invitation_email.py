"""The invitation email loses nothing: a dead broker leaves it pending for the sweep, which sends a new link;
it is sent at most once; a mail server that is down is retried, a refusal is shown to the admin, who can
resend it with a new link. Sent through Django's SMTP backend to a real SMTP sink (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone

from issuers.models import AuditEntry, Invitation, Membership, OutboxEmail, Role
from issuers.scoping import tenant_scope
from issuers.services import invitation_create, invitation_revoke
from issuers.tasks import emails_send_tenant, outbox_sweep
from tests.support import broker_down, eager_tasks, make_user

pytestmark = pytest.mark.django_db
EmailStatus = OutboxEmail.Status


def invite(tenant, email="dana@college-a.example", actor=None) -> tuple[Invitation, str]:
    """Create an invitation whose task no broker took (the on-commit hook does not run in these tests)."""
    with tenant_scope(tenant):
        invitation, url = invitation_create(tenant=tenant, email=email, role=Role.ISSUER, actor=actor)
    return invitation, url


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def send_kwargs(tenant, invitation, url) -> dict:
    """What the outbox task is queued with: the email and, only in the task's arguments, its link's token."""
    mail_id = str(row(tenant, invitation).mail_id)
    return {"tenant_id": tenant.pk, "email_ids": [mail_id], "secrets": {mail_id: token_of(url)}}


def send(tenant, invitation, url) -> str:
    counts = emails_send_tenant(**send_kwargs(tenant, invitation, url))
    return "sent" if counts["sent"] else "failed" if counts["failed"] else "skipped"


def mail_of(tenant, invitation):
    return OutboxEmail.objects.filter(pk=row(tenant, invitation).mail_id)


def row(tenant, invitation) -> Invitation:
    with tenant_scope(tenant):
        return Invitation.objects.get(pk=invitation.pk)


def links_sent(sink) -> list[str]:
    return [re.search(r"https?://[^/\s]+(/invitations/\S+/)", m.get_content()).group(1) for m in sink.messages]


def test_an_invitation_made_while_the_broker_is_down_stays_pending_and_the_page_still_works(
        client, alice, tenant_a, django_capture_on_commit_callbacks, caplog):
    client.force_login(alice)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("issuers:staff", args=[tenant_a.slug]),
                               {"email": "dana@college-a.example", "role": Role.ISSUER})
    assert response.status_code == 302
    assert "Broker unavailable" in caplog.text
    with tenant_scope(tenant_a):
        invitation = Invitation.objects.get(email="dana@college-a.example")
    assert invitation.email_status == EmailStatus.QUEUED
    page = client.get(reverse("issuers:staff", args=[tenant_a.slug]))
    assert page.status_code == 200
    assert b"dana@college-a.example" in page.content
    assert b"Queued" in page.content


def test_the_sweep_sends_a_stuck_invitation_with_a_new_link_and_the_old_link_is_dead(
        client, alice, tenant_a, sink, settings):
    settings.PIPELINE_STUCK_AFTER = 120
    old, old_url = invite(tenant_a, actor=alice)
    recent, _ = invite(tenant_a, "erin@college-a.example", actor=alice)
    mail_of(tenant_a, old).update(updated_at=timezone.now() - timedelta(seconds=121))
    with eager_tasks():
        assert outbox_sweep() == {"requeued": 1, "unknown": 0}
        assert outbox_sweep() == {"requeued": 0, "unknown": 0}  # not again: it was sent
    (link,) = links_sent(sink)
    assert sink.messages[0]["To"] == "dana@college-a.example"
    assert link != old_url.replace(settings.PUBLIC_BASE_URL, "")
    assert row(tenant_a, old).email_status == EmailStatus.SENT
    assert row(tenant_a, recent).email_status == EmailStatus.QUEUED  # its task may still be on its way

    dana = make_user("dana@college-a.example")
    client.force_login(dana)
    assert client.post(old_url.replace(settings.PUBLIC_BASE_URL, "")).status_code == 404
    assert client.post(link).status_code == 302
    with tenant_scope(tenant_a):
        assert Membership.objects.get(user=dana).role == Role.ISSUER


def test_the_sweep_leaves_withdrawn_and_expired_invitations_alone(alice, tenant_a, sink, settings):
    settings.PIPELINE_STUCK_AFTER = 0
    withdrawn, _ = invite(tenant_a, actor=alice)
    expired, _ = invite(tenant_a, "erin@college-a.example", actor=alice)
    with tenant_scope(tenant_a):
        invitation_revoke(invitation=withdrawn, actor=alice)
        Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with eager_tasks():
        outbox_sweep()
    assert sink.messages == []
    assert row(tenant_a, withdrawn).mail_id is None  # its queued email was dropped when it was withdrawn
    assert row(tenant_a, expired).email_status == EmailStatus.FAILED  # said plainly to the admin
    assert "before a worker could send it" in row(tenant_a, expired).email_error


def test_withdrawing_an_invitation_cancels_its_queued_email_and_its_task_then_sends_nothing(
        alice, tenant_a, sink):
    invitation, url = invite(tenant_a, actor=alice)
    kwargs = send_kwargs(tenant_a, invitation, url)  # the task the invitation queued, still in the broker
    mail_id = row(tenant_a, invitation).mail_id
    with tenant_scope(tenant_a):
        invitation_revoke(invitation=row(tenant_a, invitation), actor=alice)
    assert not OutboxEmail.objects.filter(pk=mail_id).exists()
    assert row(tenant_a, invitation).mail_id is None
    assert emails_send_tenant(**kwargs)["sent"] == 0
    assert sink.messages == []


def test_withdrawing_an_invitation_already_sent_keeps_its_sent_email(alice, tenant_a, sink):
    invitation, url = invite(tenant_a, actor=alice)
    assert send(tenant_a, invitation, url) == "sent"
    with tenant_scope(tenant_a):
        invitation_revoke(invitation=row(tenant_a, invitation), actor=alice)
    assert row(tenant_a, invitation).email_status == EmailStatus.SENT
    assert len(sink.messages) == 1


def test_a_sent_invitation_is_not_sent_again_and_a_replaced_link_is_never_sent(alice, tenant_a, sink):
    invitation, url = invite(tenant_a, actor=alice)
    assert send(tenant_a, invitation, url) == "sent"
    assert send(tenant_a, invitation, url) == "skipped"  # the task delivered twice (acks_late)
    sent = row(tenant_a, invitation)
    assert (sent.email_status, sent.email_error) == (EmailStatus.SENT, "")
    assert sent.email_sent_at is not None
    assert len(sink.messages) == 1
    # A task still queued with a link that Resend has replaced does nothing.
    mail_of(tenant_a, invitation).update(status=EmailStatus.QUEUED)
    with tenant_scope(tenant_a):
        Invitation.objects.filter(pk=invitation.pk).update(token_hash="0" * 64)
    assert send(tenant_a, invitation, url) == "skipped"
    assert len(sink.messages) == 1


def test_a_permanent_refusal_is_recorded_as_failed_and_shown_to_the_admin(client, alice, tenant_a, sink):
    sink.reply = "550 5.1.1 No such mailbox"
    invitation, url = invite(tenant_a, actor=alice)
    assert send(tenant_a, invitation, url) == "failed"
    failed = row(tenant_a, invitation)
    assert failed.email_status == EmailStatus.FAILED
    assert "550 5.1.1 No such mailbox" in failed.email_error
    client.force_login(alice)
    page = client.get(reverse("issuers:staff", args=[tenant_a.slug])).content.decode()
    assert "Not delivered" in page
    assert "550 5.1.1 No such mailbox" in page
    assert reverse("issuers:invitation_resend", args=[tenant_a.slug, invitation.public_id]) in page


def test_a_mail_server_that_is_down_is_retried_later_and_the_invitation_stays_pending(alice, tenant_a, sink, settings):
    sink.stop()  # connection refused
    invitation, url = invite(tenant_a, actor=alice)
    with pytest.raises(Retry):
        send(tenant_a, invitation, url)
    waiting = row(tenant_a, invitation)
    assert waiting.email_status == EmailStatus.QUEUED
    assert "could not be reached" in waiting.email_error
    # Dated at the retry, so the sweep does not send a second (new) link while the retry waits.
    assert timezone.now() + timedelta(seconds=5) < waiting.mail.updated_at < timezone.now() + timedelta(
        seconds=settings.TASK_MAX_COUNTDOWN)
    sink.start()
    assert send(tenant_a, invitation, url) == "sent"
    assert len(sink.messages) == 1


def test_a_temporary_refusal_after_the_last_retry_is_recorded_as_failed(alice, tenant_a, sink):
    sink.reply = "451 4.3.0 Try again later"
    invitation, url = invite(tenant_a, actor=alice)
    emails_send_tenant.apply(kwargs=send_kwargs(tenant_a, invitation, url), retries=emails_send_tenant.max_retries)
    failed = row(tenant_a, invitation)
    assert failed.email_status == EmailStatus.FAILED
    assert "451" in failed.email_error
    assert "Gave up after 9 tries" in failed.email_error


def test_the_sweep_marks_an_invitation_stuck_sending_as_delivery_unknown_and_never_resends_it(
        client, alice, tenant_a, sink, settings):
    settings.EMAIL_SENDING_TIMEOUT = 60
    invitation, url = invite(tenant_a, actor=alice)
    # as a worker killed mid-send leaves it
    mail_of(tenant_a, invitation).update(status=EmailStatus.SENDING, started_at=timezone.now() - timedelta(seconds=61))
    with eager_tasks():
        assert outbox_sweep() == {"requeued": 0, "unknown": 1}
    stuck = row(tenant_a, invitation)
    assert stuck.email_status == EmailStatus.UNKNOWN
    assert "may or may not have arrived" in stuck.email_error
    assert send(tenant_a, invitation, url) == "skipped"
    assert sink.messages == []
    client.force_login(alice)
    page = client.get(reverse("issuers:staff", args=[tenant_a.slug])).content.decode()
    assert "Delivery unknown" in page
    assert "Will retry" not in page
    assert reverse("issuers:invitation_resend", args=[tenant_a.slug, invitation.public_id]) in page


def test_an_admin_resends_a_failed_invitation_with_a_new_link(
        client, alice, tenant_a, sink, settings, django_capture_on_commit_callbacks):
    sink.reply = "550 5.7.1 Rejected"
    invitation, old_url = invite(tenant_a, actor=alice)
    send(tenant_a, invitation, old_url)
    sink.reply = None
    client.force_login(alice)
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("issuers:invitation_resend", args=[tenant_a.slug, invitation.public_id]))
    assert response.status_code == 302
    (link,) = links_sent(sink)
    resent = row(tenant_a, invitation)
    assert (resent.email_status, resent.email_error) == (EmailStatus.SENT, "")
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.filter(action="invitation.resend", actor=alice).exists()
    page = client.get(reverse("issuers:staff", args=[tenant_a.slug])).content.decode()
    assert "no longer works" in page
    assert "Not delivered" not in page

    dana = make_user("dana@college-a.example")
    client.force_login(dana)
    assert client.post(old_url.replace(settings.PUBLIC_BASE_URL, "")).status_code == 404
    assert client.post(link).status_code == 302


def test_resend_is_refused_to_a_tutor_and_to_another_college(client, alice, bob, charlie, tenant_a, tenant_b):
    invitation, _ = invite(tenant_a, actor=alice)
    before = row(tenant_a, invitation).token_hash
    client.force_login(bob)  # a tutor of the same college
    assert client.post(reverse("issuers:invitation_resend", args=[tenant_a.slug, invitation.public_id])
                       ).status_code == 404
    client.force_login(charlie)  # admin of college B
    assert client.post(reverse("issuers:invitation_resend", args=[tenant_a.slug, invitation.public_id])
                       ).status_code == 404
    assert client.post(reverse("issuers:invitation_resend", args=[tenant_b.slug, invitation.public_id])
                       ).status_code == 404
    assert row(tenant_a, invitation).token_hash == before


def test_celery_beat_runs_the_sweep(settings):
    from badgeplatform.celery import app

    app.loader.import_default_modules()
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "issuers.tasks.outbox_sweep"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= settings.PIPELINE_STUCK_AFTER
