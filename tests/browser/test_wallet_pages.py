""""Add to wallet", looked at in headless Chromium on a desktop (1280x800) and a phone (390x844) and
checked with axe-core: Lee's badge page shows the button (the openid-credential-offer:// deep link),
the QR code and the transaction code; a real wallet client takes that offer and, on the next visit,
the page says the badge was added to a wallet. The award email's link opens the same offer on a page
of its own."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backpack.models import BackpackEntry
from issuers.scoping import tenant_scope
from issuers.templatetags.moments import day
from tests.browser.support import DESKTOP, log_in, look_at_both_sizes, shots
from tests.support import make_user
from tests.support.learners import award
from tests.support.wallets import PageOffer, wallet
from wallets.pages import email_link

pytestmark = pytest.mark.browser

SHOTS = shots("wallets")


def test_the_badge_page_offers_the_badge_to_a_wallet_and_says_when_it_was_added(live_server, settings, badge_a,
                                                                                browser):
    settings.PUBLIC_BASE_URL = site = live_server.url
    learner = make_user("lee.wallet@learner.example")
    a = award(badge_a, learner.email)
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, site, learner.email, lands_on="/backpack/")
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    page.goto(f"{site}/backpack/badges/{entry.public_id}/")
    button = page.get_by_role("link", name="Add to wallet")
    expect(button).to_be_visible()
    expect(page.locator("#wallet-qr svg")).to_be_visible()
    code = page.locator("#wallet-tx-code").inner_text()
    assert len(code) == 6
    look_at_both_sizes(page, "badge-page-offer", SHOTS)

    got = wallet(PageOffer(button.get_attribute("href"), code))
    assert got["credential"]["credentialSubject"]["id"] == got["holder"]
    page.reload()
    expect(page.locator("#wallet-deliveries")).to_contain_text(
        f"Added to a wallet on {day(timezone.now(), a.tenant)}")
    look_at_both_sizes(page, "badge-page-added", SHOTS)


def test_the_email_link_opens_an_offer_page(live_server, settings, badge_a, browser):
    settings.PUBLIC_BASE_URL = site = live_server.url
    a = award(badge_a, "lee.email@learner.example")
    with tenant_scope(badge_a.tenant):
        link = email_link(a)
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{site}{urlsplit(link).path}")
    expect(page.get_by_role("heading", name=f"Add “{badge_a.name}” to a wallet")).to_be_visible()
    expect(page.get_by_role("link", name="Add to wallet")).to_be_visible()
    look_at_both_sizes(page, "email-offer-page", SHOTS)
