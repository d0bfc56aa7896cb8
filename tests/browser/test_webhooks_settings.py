"""In headless Chromium, at desktop and phone sizes: a college admin registers a webhook endpoint from
Settings, copies its secret, sees a delivery the MIS refused in the log and resends it; the MIS (a real
receiver checking signatures with the ``standardwebhooks`` library) then has it. axe-core checks the pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from issuers.scoping import tenant_scope
from tests.browser.support import assert_accessible, log_in, shots
from tests.support import eager_tasks, issue_one

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SHOTS = shots("webhooks")


def _shoot(page, name: str) -> None:  # noqa: ANN001 - a Playwright Page
    for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}{suffix}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_an_admin_registers_an_endpoint_sees_a_refused_delivery_and_resends_it(
        live_server, page, alice, tenant_a, badge_a, receiver):
    log_in(page, live_server.url, alice.email, lands_on="/t/college-a/**")
    page.goto(f"{live_server.url}/t/college-a/settings/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    assert_accessible(page, "webhooks, none yet")

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("Student records (MIS)")
    page.get_by_label("Award claimed by the learner").check()
    page.get_by_role("button", name="Register endpoint").click()
    expect(page.locator(".messages")).to_contain_text("Endpoint registered")
    page.locator("summary", has_text="Show signing secret").click()
    receiver.secret = page.locator("#webhook-secret").inner_text().strip()
    assert receiver.secret.startswith("whsec_")

    receiver.status = 503  # the MIS is having a bad day
    with eager_tasks(), tenant_scope(tenant_a):
        issue_one(badge_class=badge_a, recipient_identity="ann@example.org", recipient_name="Ann Lee", notify=False)
    assert len(receiver.verified()) == 1  # it arrived, signed, and was refused

    page.reload()
    row = page.locator("tr[data-delivery]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Award issued")
    expect(row).to_contain_text("HTTP 503")
    expect(row.locator(".pill")).to_have_text("waiting")
    assert_accessible(page, "endpoint page with a refused delivery")
    _shoot(page, "endpoint-refused")

    receiver.status = 204
    with eager_tasks():
        row.get_by_role("button", name="Resend").click()
        expect(page.locator(".messages")).to_contain_text("is being sent again")
    expect(row.locator(".pill")).to_have_text("delivered")
    expect(row).to_contain_text("HTTP 204")
    assert receiver.ids() == {row.get_attribute("data-delivery"): 2}  # the same webhook-id, now accepted
    row.locator("summary", has_text="Payload").click()
    expect(row.locator("pre.payload")).to_contain_text("ann@example.org")
    assert_accessible(page, "endpoint page after the resend")
    _shoot(page, "endpoint-resent")

    page.get_by_role("link", name="Webhooks").last.click()
    expect(page.locator("tbody tr", has_text=receiver.url).locator(".pill")).to_have_text("enabled")
    _shoot(page, "endpoints")
