"""End to end in headless Chromium: sign up, verify the address from the email, log in, and switch
between two colleges with the "Switch college" menu in the top bar."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from issuers.services import tenant_create
from tests.browser.support import ARTIFACTS, log_in
from tests.support import eager_tasks

EMAIL = "dana@college-a.example"
PASSWORD = "quiet-lantern-orchard-47"

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def worker_in_process():
    """Account emails are sent by the outbox's worker task once the page's transaction commits: here it runs
    in the live server's thread, into Django's test mailbox."""
    with eager_tasks():
        yield


def test_signup_verify_login_and_switch_college(live_server, transactional_db, page):
    base = live_server.url

    # --- Sign up ---------------------------------------------------------------------------
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.screenshot(path=str(ARTIFACTS / "signup.png"), full_page=True)
    page.locator("form:has(input[name=password2]) [type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))

    # --- Verify the address from the email ---------------------------------------------------
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert link, message.body
    assert link.group(0).startswith(base), (link.group(0), base)
    page.goto(link.group(0))
    page.locator("main form [type=submit]").click()
    # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: the visitor is now logged in.
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # The platform operator creates two colleges with the new account as admin.
    tenant_create(slug="college-a", name="College A", admin_email=EMAIL)
    tenant_create(slug="college-b", name="College B", admin_email=EMAIL)

    # --- Log out, then log in through the form ----------------------------------------------
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    if page.url.rstrip("/").endswith("/accounts/logout"):  # allauth's confirmation page
        page.locator("main form [type=submit]").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    log_in(page, base, EMAIL, password=PASSWORD)

    # Two colleges and no last-used one: the home page asks which college.
    page.wait_for_url(f"{base}/")
    expect(page.locator("h1")).to_have_text("Your colleges")
    expect(page.locator("main a.card")).to_have_count(2)

    # --- Tenant A, then switch to tenant B ----------------------------------------------------
    page.locator("main a.card", has_text="College A").click()
    page.wait_for_url(f"{base}/t/college-a/")
    expect(page.locator("h1")).to_have_text("College A")

    switcher = page.locator("details.switcher")
    switcher.locator("summary").click()
    expect(switcher.get_by_role("link", name="College A")).to_have_attribute("aria-current", "page")
    switcher.get_by_role("link", name="College B").click()
    page.wait_for_url(f"{base}/t/college-b/")
    expect(page.locator("h1")).to_have_text("College B")
    expect(page.locator("a.brand")).to_have_text("College B")
    page.locator("details.switcher summary").click()  # open, so the screenshot shows the menu
    expect(switcher.get_by_role("link", name="College B")).to_have_attribute("aria-current", "page")
    page.screenshot(path=str(ARTIFACTS / "dashboard-switch.png"), full_page=True)

    # --- Accessibility: no critical axe-core violations on the dashboard -----------------------
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    critical = [v for v in results.response["violations"] if v.get("impact") == "critical"]
    assert not critical, results.generate_report()


def test_a_learner_signs_in_with_an_emailed_code(live_server, page, alice):
    """No password to remember: "Send me a sign-in code", read it from the email, type it in."""
    from tests.browser.support import assert_accessible

    page.set_viewport_size({"width": 390, "height": 844})  # a learner on a phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=str(ARTIFACTS / "login-phone.png"), full_page=True)
    page.get_by_role("link", name=re.compile("sign-in code", re.IGNORECASE)).click()
    page.fill("input[name=email]", alice.email)
    assert_accessible(page, "request a sign-in code")
    page.locator("main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    (message,) = mail.outbox
    code = re.search(r"^\s*([A-Z0-9]{3,}-?[A-Z0-9]{3,})\s*$", message.body, re.MULTILINE).group(1)
    page.fill("input[name=code]", code)
    assert_accessible(page, "enter the sign-in code")
    page.screenshot(path=str(ARTIFACTS / "login-code-phone.png"), full_page=True)
    page.locator("main form [type=submit]").first.click()
    page.get_by_role("button", name="Menu").click()  # on a phone the navigation folds into a menu
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
