"""The tutor's daily journeys in headless Chromium, desktop (1280x800) and phone (390x844), axe-clean:
the dashboard shows the latest awards and what needs attention (a refused email); a learner is found by
name or address across every badge of the college; the public link is copied with a button; revoking
asks first and emails the learner the reason (a real SMTP sink); the award page then shows a red Revoked
state, and an expired award an Expired one, instead of green email steps; the award form opens with the
email field focused; the staff menu folds on a phone. Tasks run eagerly in the live server's thread."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from assertions.models import Assertion
from issuers.scoping import tenant_scope
from tests.browser.support import ARTIFACTS, assert_accessible, log_in, wait_until
from tests.support import eager_tasks, issue_one, make_badge

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _shot(page: Page, name: str) -> None:
    wait_until(page, "Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"tutor-journey-{name}.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")


def _log_in(page: Page, base: str, email: str) -> None:
    log_in(page, base, email, lands_on="/t/college-a/")


@pytest.fixture
def awards(live_server, tenant_a, issuer_a, badge_a, sink, settings):
    """Lee Ann holds two badges; an award to a mailbox that does not exist was refused; one has expired."""
    settings.PUBLIC_BASE_URL = live_server.url
    height = make_badge(tenant_a, issuer_a, "Working at Height")
    with tenant_scope(tenant_a), eager_tasks():
        lee = issue_one(badge_class=badge_a, recipient_identity="lee.ann@example.org", recipient_name="Lee Ann")
        issue_one(badge_class=height, recipient_identity="lee.ann@example.org", recipient_name="Lee Ann")
        old = issue_one(badge_class=height, recipient_identity="sam@example.org", recipient_name="Sam Roe",
                        issued_on=date(2024, 5, 1), expires=date(2025, 5, 1))
        sink.reply = "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
        issue_one(badge_class=badge_a, recipient_identity="nobody@example.org", recipient_name="Noah Body")
        sink.reply = None
    return lee, old


def test_the_tutor_finds_a_learner_copies_the_link_and_revokes_with_an_email(
        live_server, browser, alice, tenant_a, badge_a, awards, sink):
    lee, expired = awards
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(page, base, alice.email)

    # --- The dashboard: what needs attention, and the latest awards ---------------------------------
    attention = page.locator("section", has=page.get_by_role("heading", name=re.compile("Needs attention")))
    expect(attention.locator(".award-item")).to_have_count(1)
    expect(attention).to_contain_text("Noah Body")
    expect(attention).to_contain_text("550 5.1.1")
    latest = page.locator("section", has=page.get_by_role("heading", name="Latest awards"))
    expect(latest.locator(".award-item")).to_have_count(4)
    expect(latest.locator(".award-item", has_text="Sam Roe").locator(".pill")).to_have_text("Expired")
    assert_accessible(page, "dashboard with attention and latest awards")
    _shot(page, "dashboard")

    # --- Find a learner by name, across every badge ---------------------------------------------------
    page.fill("#learner-search", "lee")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    learner = page.locator("section.learner")
    expect(learner).to_have_count(1)
    expect(learner.locator("h2")).to_contain_text("Lee Ann")
    expect(learner.locator(".award-item")).to_have_count(2)
    expect(learner).to_contain_text("Safe Scaffolding")
    expect(learner).to_contain_text("Working at Height")
    assert_accessible(page, "learner search")
    _shot(page, "learner-search")
    page.goto(f"{base}/t/college-a/learners/?q=LEE.ANN%40EX")  # an address, from its start, any case
    expect(page.locator("section.learner .award-item")).to_have_count(2)
    page.goto(f"{base}/t/college-a/learners/?q=ann")  # the middle of a name: not a match
    expect(page.locator("section.learner")).to_have_count(0)
    expect(page.get_by_text("No learner’s email or name starts with “ann”.")).to_be_visible()

    # --- The award page: copy the public link ------------------------------------------------------------
    page.goto(f"{base}/t/college-a/learners/?q=lee")
    page.get_by_role("link", name="Safe Scaffolding").click()
    expect(page.locator("p.lead")).to_contain_text("Awarded to Lee Ann")
    expect(page.locator('.step[data-key="email"]')).to_have_class(re.compile(r"\bdone\b"))
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#public-link").input_value()
    assert copied.startswith(f"{base}/public/assertions/{lee.public_id}")
    award_url = page.url

    # --- Revoke: asked first; "no" changes nothing; "yes" revokes and emails the reason ---------------
    page.get_by_text("Revoke this badge").click()
    page.fill("#id_reason", "Assessment found to be incomplete")
    expect(page.get_by_label("Email the learner this reason")).to_be_checked()
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Revoke", exact=True).click()
    page.wait_for_timeout(300)
    assert questions
    assert questions[0].startswith("Revoke Safe Scaffolding of Lee Ann?")
    with tenant_scope(tenant_a):
        assert Assertion.objects.get(pk=lee.pk).revoked is False
    page.once("dialog", lambda dialog: dialog.accept())
    with eager_tasks(), page.expect_navigation():
        page.get_by_role("button", name="Revoke", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("lee.ann@example.org is being emailed the reason")
    state = page.locator("#award-state")
    expect(state).to_contain_text("Revoked")
    expect(state).to_contain_text("Assessment found to be incomplete")
    expect(page.locator("#steps")).to_have_count(0)  # no green email chips on a revoked award
    assert page.evaluate("getComputedStyle(document.querySelector('#award-state')).backgroundColor") == \
        "rgb(254, 226, 226)"
    page.reload()
    expect(state.locator(".pill")).to_have_text("Sent")  # the learner was told
    told = [m for m in sink.messages if "revoked" in m["Subject"]]
    assert len(told) == 1
    assert told[0]["To"] == "lee.ann@example.org"
    body = told[0].get_body(preferencelist=("plain",)).get_content()
    assert "Assessment found to be incomplete" in body
    assert "Safe Scaffolding" in body
    assert_accessible(page, "revoked award")
    _shot(page, "revoked")

    # --- An expired award is said so, in red ------------------------------------------------------------
    page.goto(f"{base}/t/college-a/awards/{expired.public_id}/")
    expect(page.locator("#award-state")).to_contain_text("Expired")
    expect(page.locator("#steps")).to_have_count(0)
    assert_accessible(page, "expired award")
    _shot(page, "expired")
    expired_url = page.url

    # --- The award form opens on the email field -------------------------------------------------------
    page.goto(f"{base}/t/college-a/badges/{badge_a.public_id}/award/")
    expect(page.locator("#id_email")).to_be_focused()
    award_form_url = page.url

    # --- The same pages on a phone: nothing scrolls sideways, the menu folds -----------------------------
    phone = browser.new_context(viewport=PHONE, storage_state=context.storage_state(), is_mobile=True,
                                has_touch=True)
    mobile = phone.new_page()
    for name, url in [("dashboard", f"{base}/t/college-a/"), ("learner-search", f"{base}/t/college-a/learners/?q=lee"),
                      ("revoked", award_url), ("expired", expired_url), ("award-form", award_form_url)]:
        mobile.goto(url)
        wait_until(mobile, "Array.from(document.images).every(i => i.complete)")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width}px)"
        assert_accessible(mobile, f"{name} on a phone")
        mobile.screenshot(path=str(ARTIFACTS / f"tutor-journey-{name}-phone.png"), full_page=True)
    menu = mobile.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(mobile.get_by_role("link", name="Pathways")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(mobile.get_by_role("link", name="Pathways")).to_be_visible()
    mobile.screenshot(path=str(ARTIFACTS / "tutor-journey-menu-phone.png"), full_page=True)
    phone.close()
    context.close()
