"""In headless Chromium, desktop and phone: the admin reads the audit log in sentences, filters it by
action, and acts on a learner's erasure request, which then reads in the log. axe-core checks each page;
screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assertions.services import assertion_revoke
from issuers.context import tenant_context
from tests.browser.support import ARTIFACTS, assert_accessible, log_in
from tests.support import issue_one, make_badge

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _shots(page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert_accessible(page, f"{name} (phone)")
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_the_admin_reads_the_log_and_acts_on_an_erasure_request(live_server, page, alice, tenant_a, issuer_a):
    alice.name = "Ann Tutor"
    alice.save()
    first_aid = make_badge(tenant_a, issuer_a, "First Aid at Work")
    with tenant_context(tenant_a, alice):
        wrong = issue_one(badge_class=first_aid, recipient_identity="lee@example.org", notify=False)
        assertion_revoke(assertion=wrong, reason="sent to the wrong address")
        keep = issue_one(badge_class=first_aid, recipient_identity="ria@example.org", notify=False)

    log_in(page, live_server.url, alice.email, lands_on="/t/college-a/")
    page.goto(f"{live_server.url}/t/college-a/audit/")
    expect(page.locator("table.audit-log tbody tr").nth(1)).to_contain_text(
        "Ann Tutor revoked First Aid at Work from l•••@example.org: sent to the wrong address")
    assert_accessible(page, "audit log")
    _shots(page, "audit-log")

    page.select_option("select[name=action]", "assertion.issue")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table.audit-log tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("awarded First Aid at Work to r•••@example.org")

    page.goto(f"{live_server.url}/t/college-a/erasure/")
    page.fill("input[name=email]", "ria@example.org")
    page.get_by_role("button", name="Find awards").click()
    expect(page.locator("#found-h")).to_have_text("1 award to ria@example.org")
    assert_accessible(page, "erasure request")
    _shots(page, "erasure-request")
    page.get_by_label("Withdraw", exact=False).check()
    page.get_by_label("I have checked this is the learner's request").check()
    page.get_by_role("button", name="Act on 1 award").click()
    expect(page.locator(".messages")).to_contain_text("1 award withdrawn.")

    page.goto(f"{live_server.url}/t/college-a/audit/")
    expect(page.locator("table.audit-log tbody tr").first).to_contain_text(
        "Ann Tutor revoked First Aid at Work from r•••@example.org: Withdrawn at the learner's request")
    expect(page.locator("table.audit-log tbody tr").nth(1)).to_contain_text(
        "Ann Tutor withdrew First Aid at Work from r•••@example.org at the learner's request")
    _shots(page, "audit-log-after-erasure")
    with tenant_context(tenant_a, alice):
        keep.refresh_from_db()
    assert keep.revoked
