"""A tutor with no graphics software designs a badge image in headless Chromium: a shape, the college's
colour by default, an icon from the bundled set and two lines of text, previewed live (drawn by our server)
and saved as SVG with a PNG; desktop (1280x800) and phone (390x844), axe-clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.browser.support import ARTIFACTS, assert_accessible, log_in, wait_until

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _preview_loaded(page: Page, needle: str) -> None:
    preview = page.locator("#design-preview")
    expect(preview).to_have_attribute("src", re.compile(needle))
    wait_until(page, "(() => { const i = document.getElementById('design-preview');"
                           " return i.complete && i.naturalWidth > 0; })()")


def test_a_tutor_designs_a_badge_image_and_saves_it(live_server, browser, bob, tenant_a, issuer_a, settings,
                                                    tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant_a.primary_colour = "#0f766e"
    tenant_a.save(update_fields=["primary_colour"])
    base = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, base, bob.email, lands_on="/t/college-a/")
    page.get_by_role("link", name="New badge").click()

    # The designer is the default, in the college's colour, with a live preview drawn by the server.
    expect(page.get_by_label("Design it here")).to_be_checked()
    expect(page.locator("#id_design_colour")).to_have_value("#0f766e")
    expect(page.locator("#id_image")).to_be_hidden()  # the upload pane waits until chosen
    _preview_loaded(page, "colour=%230f766e")
    page.fill("#id_name", "Working at Height")
    page.fill("#id_description", "Uses access equipment safely.")
    page.fill("#id_criteria_narrative", "Erects and inspects a mobile tower.")
    page.get_by_role("radio", name="Shield", exact=True).check()
    _preview_loaded(page, "shape=shield")
    page.locator("label.icon-choice", has_text="hard hat").click()
    _preview_loaded(page, "icon=hard-hat")
    page.fill("#id_design_line1", "Working at Height")
    page.fill("#id_design_line2", "Level 1")
    _preview_loaded(page, "line2=Level")
    page.fill("#id_design_accent", "#fde047")
    _preview_loaded(page, "accent=%23fde047")
    preview_svg = page.request.get(page.evaluate("document.getElementById('design-preview').src")).body()
    assert b"Working at Height" in preview_svg
    page.fill("#id_design_line1", "x" * 18 + "y")  # too long: the page says so (the field also stops at 18)
    assert len(page.locator("#id_design_line1").input_value()) == 18
    page.fill("#id_design_line1", "Working at Height")
    _preview_loaded(page, "line1=Working")
    assert_accessible(page, "badge designer")
    page.screenshot(path=str(ARTIFACTS / "designer.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="Create badge").click()
    expect(page.get_by_text("is ready to award")).to_be_visible()
    with tenant_scope(tenant_a):
        badge = BadgeClass.objects.get(name="Working at Height")
    assert badge.image_type == "svg"
    saved = badge.image.read()
    assert saved == preview_svg  # what was previewed is what was saved
    assert badge.image_png.read().startswith(b"\x89PNG")
    png = page.request.get(f"{base}/public/badges/{badge.public_id}/image")
    assert png.status == 200
    page.screenshot(path=str(ARTIFACTS / "designer-saved.png"), full_page=True)

    # Editing: the current image is kept unless the tutor designs or uploads another.
    page.goto(f"{base}/t/college-a/badges/{badge.public_id}/edit/")
    expect(page.get_by_label("Keep the current image")).to_be_checked()
    expect(page.locator("#design-preview")).to_be_hidden()

    phone = browser.new_context(viewport=PHONE, storage_state=page.context.storage_state(), is_mobile=True,
                                has_touch=True)
    mobile = phone.new_page()
    mobile.goto(f"{base}/t/college-a/badges/new/")
    _preview_loaded(mobile, "shape=circle")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the designer scrolls sideways on a phone ({width}px)"
    assert_accessible(mobile, "badge designer on a phone")
    mobile.screenshot(path=str(ARTIFACTS / "designer-phone.png"), full_page=True)
    phone.close()
    page.context.close()
