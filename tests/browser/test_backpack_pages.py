"""In Chromium: a backpack of 65 badges shows 60 cards, "Badges 1 to 60 of 65" and "Show more badges",
which shows the other 5 and a way back; the search still finds across every card (screenshots at
both sizes, axe-clean, nothing sideways on a phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assertions.services import Recipient, assertion_issue
from issuers.scoping import tenant_scope
from tests.browser.support import log_in, look_at_both_sizes, shots
from tests.support import make_user
from tests.support.learners import LEARNER, award

pytestmark = pytest.mark.browser
SHOTS = shots("backpack-pages")


def test_a_big_backpack_pages_its_cards_and_the_search_covers_them_all(live_server, page, tenant_a, badge_a, badge_b):
    learner = make_user(LEARNER)
    award(badge_b)
    with tenant_scope(tenant_a):
        assertion_issue(badge_class=badge_a, notify=False, allow_duplicate=True,
                        recipients=[Recipient(identity=LEARNER) for _ in range(64)])
    log_in(page, live_server.url, learner.email, lands_on="/backpack/**")

    page.goto(f"{live_server.url}/backpack/")
    expect(page.locator(".bp-card")).to_have_count(60)
    expect(page.locator("#bp-count")).to_have_text("Badges 1 to 60 of 65")
    look_at_both_sizes(page, "first-page", SHOTS)
    page.get_by_role("link", name="Show more badges").click()
    expect(page.locator(".bp-card")).to_have_count(5)
    expect(page.locator("#bp-count")).to_contain_text("Badges 61 to 65 of 65")
    expect(page.get_by_role("link", name="Show more badges")).to_have_count(0)
    look_at_both_sizes(page, "last-page", SHOTS)
    page.get_by_role("link", name="Back to the newest").click()
    expect(page.locator(".bp-card")).to_have_count(60)

    page.fill("#bp-q", badge_b.name)
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".bp-card")).to_have_count(1)
    expect(page.locator(".bp-card-name")).to_have_text(badge_b.name)
    expect(page.locator("#bp-count")).to_have_count(0)
