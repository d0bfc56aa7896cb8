"""The endorsement request email loses nothing: a dead broker leaves it pending for the sweep, which sends a
new link; it is sent at most once; a refusal is shown to the college admin, who can resend it with a new
link. Sent through Django's SMTP backend to a real SMTP sink (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from endorsements.models import EndorsementRequest
from endorsements.services import endorsement_request_by_token, endorsement_request_create
from issuers.models import AuditEntry, Membership, OutboxEmail, Role
from issuers.scoping import tenant_scope
from issuers.tasks import emails_send_tenant, outbox_sweep
from tests.support import broker_down, eager_tasks, make_user

pytestmark = pytest.mark.django_db
PAGE = "/t/college-a/endorsements/"
EmailStatus = OutboxEmail.Status


def ask(tenant, badge, actor=None) -> tuple[EndorsementRequest, str]:
    """A request whose task no broker took (the on-commit hook does not run in these tests)."""
    with tenant_scope(tenant):
        return endorsement_request_create(badge_class=badge, email="hr@acme.example", actor=actor)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def send(tenant, request, url) -> str:
    """Run the outbox task as it is queued: the email and, only in the task's arguments, its link's token."""
    mail_id = str(row(tenant, request).mail_id)
    counts = emails_send_tenant(tenant_id=tenant.pk, email_ids=[mail_id], secrets={mail_id: token_of(url)})
    return "sent" if counts["sent"] else "failed" if counts["failed"] else "skipped"


def row(tenant, request) -> EndorsementRequest:
    with tenant_scope(tenant):
        return EndorsementRequest.objects.get(pk=request.pk)


def tokens_sent(sink) -> list[str]:
    return [re.search(r"/endorse/(\S+)/", m.get_content()).group(1) for m in sink.messages]


def test_a_request_made_while_the_broker_is_down_stays_pending_and_the_page_still_works(
        client, alice, tenant_a, badge, django_capture_on_commit_callbacks, caplog):
    client.force_login(alice)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"badge_class": badge.pk, "email": "hr@acme.example", "message": "Please"})
    assert response.status_code == 302
    assert "Broker unavailable" in caplog.text
    with tenant_scope(tenant_a):
        assert EndorsementRequest.objects.get().email_status == EmailStatus.QUEUED
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"hr@acme.example" in page.content
    assert b"Queued" in page.content


def test_the_sweep_sends_a_stuck_request_with_a_new_link_and_the_old_link_is_dead(
        alice, tenant_a, badge, sink, settings):
    settings.PIPELINE_STUCK_AFTER = 120
    request, old_url = ask(tenant_a, badge, actor=alice)
    OutboxEmail.objects.update(updated_at=timezone.now() - timedelta(seconds=121))
    with eager_tasks():
        assert outbox_sweep() == {"requeued": 1, "unknown": 0}
        assert outbox_sweep() == {"requeued": 0, "unknown": 0}
    (token,) = tokens_sent(sink)
    assert "Site Safety" in sink.messages[0]["Subject"]
    assert row(tenant_a, request).email_status == EmailStatus.SENT
    assert endorsement_request_by_token(token_of(old_url)) is None
    assert endorsement_request_by_token(token).pk == request.pk


def test_a_sent_request_is_not_sent_again(alice, tenant_a, badge, sink):
    request, url = ask(tenant_a, badge, actor=alice)
    assert send(tenant_a, request, url) == "sent"
    assert send(tenant_a, request, url) == "skipped"
    assert len(sink.messages) == 1


def test_a_permanent_refusal_is_recorded_as_failed_and_shown_to_the_admin(client, alice, tenant_a, badge, sink):
    sink.reply = "550 5.1.1 No such mailbox"
    request, url = ask(tenant_a, badge, actor=alice)
    assert send(tenant_a, request, url) == "failed"
    assert "550 5.1.1 No such mailbox" in row(tenant_a, request).email_error
    client.force_login(alice)
    page = client.get(PAGE).content.decode()
    assert "Not delivered" in page
    assert "550 5.1.1 No such mailbox" in page
    assert f"/requests/{request.public_id}/resend/" in page


def test_an_admin_resends_a_failed_request_with_a_new_link(
        client, alice, tenant_a, badge, sink, django_capture_on_commit_callbacks):
    sink.reply = "550 5.7.1 Rejected"
    request, old_url = ask(tenant_a, badge, actor=alice)
    send(tenant_a, request, old_url)
    sink.reply = None
    client.force_login(alice)
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/t/college-a/endorsements/requests/{request.public_id}/resend/")
    assert response.status_code == 302
    (token,) = tokens_sent(sink)
    resent = row(tenant_a, request)
    assert (resent.email_status, resent.email_error) == (EmailStatus.SENT, "")
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.filter(action="endorsement.request_resend", actor=alice).exists()
    assert endorsement_request_by_token(token_of(old_url)) is None
    assert endorsement_request_by_token(token).pk == request.pk


def test_resend_is_refused_to_a_viewer_and_to_another_college(client, alice, charlie, tenant_a, tenant_b, badge):
    request, _ = ask(tenant_a, badge, actor=alice)
    before = row(tenant_a, request).token_hash
    viewer = make_user("viewer@college-a.example")
    with tenant_scope(tenant_a):
        Membership.objects.create(tenant=tenant_a, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    assert b"/resend/" not in client.get(PAGE).content
    assert client.post(f"/t/college-a/endorsements/requests/{request.public_id}/resend/").status_code == 404
    client.force_login(charlie)
    assert client.post(f"/t/college-a/endorsements/requests/{request.public_id}/resend/").status_code == 404
    assert client.post(f"/t/college-b/endorsements/requests/{request.public_id}/resend/").status_code == 404
    assert row(tenant_a, request).token_hash == before


def test_an_admin_withdraws_a_request_its_link_dies_and_the_sweep_leaves_it(client, alice, tenant_a, badge, sink,
                                                                             settings):
    settings.PIPELINE_STUCK_AFTER = 120
    request, url = ask(tenant_a, badge, actor=alice)
    client.force_login(alice)
    response = client.post(f"{PAGE}requests/{request.public_id}/withdraw/")
    assert response.status_code == 302
    assert endorsement_request_by_token(token_of(url)).is_usable is False
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.filter(action="endorsement.request_revoke").count() == 1
    assert row(tenant_a, request).mail_id is None  # its queued email was dropped from the outbox
    assert not OutboxEmail.objects.filter(to="hr@acme.example").exists()
    OutboxEmail.objects.update(updated_at=timezone.now() - timedelta(seconds=121))
    with eager_tasks():
        outbox_sweep()
    assert sink.messages == []
