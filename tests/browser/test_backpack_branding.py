"""In Chromium: the learner's backpack badge page is headed by the college's logo (loaded) and name on its
colour, and the certificate shows the logo and the colour (screenshots at both sizes, axe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backpack import services
from issuers.context import Actor, tenant_context
from issuers.services import tenant_update
from tests.browser.support import log_in, look_at_both_sizes, shots
from tests.support import make_user, png_bytes
from tests.support.learners import LEARNER, award

pytestmark = pytest.mark.browser
SHOTS = shots("backpack-branding")
TEAL_RGB = "rgb(15, 118, 110)"


def _style(page, selector: str, prop: str) -> str:  # noqa: ANN001 - a Playwright Page
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


def _loaded(page, selector: str) -> bool:  # noqa: ANN001 - a Playwright Page
    return page.evaluate(f"(() => {{ const i = document.querySelector({selector!r}); "
                         "return i.complete && i.naturalWidth > 0; })()")


def test_the_backpack_badge_page_and_the_certificate_show_the_colleges_logo_and_colour(
        live_server, page, tenant_a, badge_a):
    with tenant_context(tenant_a, Actor(system="test: the college admin's settings")):
        tenant_update(tenant=tenant_a, changes={"primary_colour": "#0f766e"},
                      logo=png_bytes(96, colour=(250, 204, 21, 255)))
    learner = make_user(LEARNER)
    entry = services.assertion_claim(assertion=award(badge_a), user=learner)
    log_in(page, live_server.url, learner.email, lands_on="/backpack/**")

    page.goto(f"{live_server.url}/backpack/badges/{entry.public_id}/")
    header = page.locator(".college-brand")
    expect(header).to_contain_text("College A")
    expect(header.locator("img")).to_be_visible()
    assert _loaded(page, ".college-brand img")
    assert _style(page, ".college-brand", "backgroundColor") == TEAL_RGB
    assert _style(page, ".college-brand", "color") == "rgb(255, 255, 255)"
    look_at_both_sizes(page, "badge-page", SHOTS)

    page.goto(f"{live_server.url}/backpack/badges/{entry.public_id}/certificate/")
    expect(page.locator("img.cert-logo")).to_be_visible()
    assert _loaded(page, "img.cert-logo")
    assert page.locator("img.cert-logo").get_attribute("alt") == "College A"
    assert _style(page, ".cert-eyebrow", "color") == TEAL_RGB  # the colour's shade that reads on white
    look_at_both_sizes(page, "certificate", SHOTS)
