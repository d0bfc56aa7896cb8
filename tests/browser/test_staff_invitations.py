"""In headless Chromium: the staff page shows each pending invitation's email (queued, sent, or refused with
the mail server's reason) and the admin resends a refused one with a new link. Screenshots go to
test-artifacts/; axe-core checks the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from issuers.models import Invitation, OutboxEmail, Role
from issuers.scoping import tenant_scope
from issuers.services import invitation_create
from issuers.tasks import emails_send_tenant
from tests.browser.support import ARTIFACTS, assert_accessible, log_in
from tests.support import eager_tasks

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _invite(tenant, email: str, actor) -> tuple[Invitation, str]:
    with tenant_scope(tenant):
        invitation, url = invitation_create(tenant=tenant, email=email, role=Role.ISSUER, actor=actor)
    return invitation, url.rstrip("/").rsplit("/", 1)[1]


def _send(tenant, invitation: Invitation, token: str) -> None:
    """The outbox task, as the invitation queued it (the token travels only in its arguments)."""
    mail_id = str(invitation.mail_id)
    emails_send_tenant(tenant_id=tenant.pk, email_ids=[mail_id], secrets={mail_id: token})


def test_the_admin_sees_a_refused_invitation_and_resends_it(live_server, page, alice, tenant_a, sink, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    refused, token = _invite(tenant_a, "dana@college-a.example", alice)
    sink.reply = "550 5.1.1 <dana@college-a.example>: Recipient address rejected: User unknown"
    _send(tenant_a, refused, token)
    sink.reply = None
    sent, token = _invite(tenant_a, "erin@college-a.example", alice)
    _send(tenant_a, sent, token)
    _invite(tenant_a, "frank@college-a.example", alice)  # no task took it yet: queued

    log_in(page, live_server.url, alice.email, lands_on="/t/college-a/")
    page.goto(f"{live_server.url}/t/college-a/staff/")

    row = page.locator("tr", has_text="dana@college-a.example")
    expect(row.locator(".pill")).to_have_text("Not delivered")
    expect(row.locator(".email-error")).to_contain_text("550 5.1.1")
    expect(page.locator("tr", has_text="erin@college-a.example").locator(".pill")).to_contain_text("Sent")
    expect(page.locator("tr", has_text="frank@college-a.example").locator(".pill")).to_have_text("Queued")
    assert_accessible(page, "staff page with a refused invitation")
    page.screenshot(path=str(ARTIFACTS / "staff-invitation-failed.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "staff-invitation-failed-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    with eager_tasks():
        row.get_by_role("button", name="Resend").click()
        expect(page.locator(".messages")).to_contain_text("A new invitation link is on its way to dana@")
    expect(page.locator("tr", has_text="dana@college-a.example").locator(".pill")).to_contain_text("Sent")
    assert [m["To"] for m in sink.messages] == ["erin@college-a.example", "dana@college-a.example"]
    with tenant_scope(tenant_a):
        assert Invitation.objects.get(pk=refused.pk).email_status == OutboxEmail.Status.SENT
    page.screenshot(path=str(ARTIFACTS / "staff-invitation-resent.png"), full_page=True)
