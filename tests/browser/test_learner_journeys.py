"""The learner's journeys in headless Chromium, looked at on a desktop (1280x800) and a phone (390x844)
and checked with axe-core: the claim form pre-filled with the name the tutor typed and the password
rules shown before the first try; a second award claimed with one click; the printable certificate on
one A4 page in either orientation (printed to PDF by Chromium, pages counted with pypdf) with its QR
code and verify URL, and its print button; the baked PNG download of an SVG badge."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect
from pypdf import PdfReader

from assertions import links
from backpack.models import BackpackEntry
from issuers.models import Tenant
from tests.browser.support import DESKTOP, log_in, look_at_both_sizes, shots
from tests.support import make_user
from tests.support.learners import award
from tests.support.verification import badges  # noqa: F401 - a fixture
from verification.baked import read_baked

pytestmark = pytest.mark.browser

SHOTS = shots("employer")
NEW_LEARNER = "nia.okafor@learner.example"


def look(page, name: str) -> None:
    look_at_both_sizes(page, f"learner-{name}", SHOTS)


@pytest.fixture
def site(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def new_page(browser):
    contexts = []

    def _open():
        context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()
    yield _open
    for context in contexts:
        context.close()


def _claim_link(assertion, site: str) -> str:
    return links.claim_url(assertion).replace(settings.PUBLIC_BASE_URL, site)


def test_claim_prefills_the_name_shows_the_rules_and_a_second_award_takes_one_click(
        site, badges, new_page):  # noqa: F811
    first = award(badges["png"], NEW_LEARNER, recipient_name="Nia Okafor")
    page = new_page()
    page.goto(_claim_link(first, site))
    expect(page.locator("input[name=name]")).to_have_value("Nia Okafor")  # what the tutor typed
    rules = page.locator("#id_password1_helptext")
    expect(rules).to_contain_text("at least 10 characters")  # before the first try
    assert page.locator(".errorlist").count() == 0
    look(page, "claim-signup")
    page.fill("input[name=password1]", "ochre-lantern-harbour-41")
    page.fill("input[name=password2]", "ochre-lantern-harbour-41")
    page.get_by_role("button", name="Create account and claim").click()
    page.wait_for_url(re.compile(r"/backpack/badges/[0-9a-f-]+/$"))

    second = award(badges["svg"], NEW_LEARNER, recipient_name="Nia Okafor")
    elsewhere = new_page()  # the second email, opened on a phone that is not signed in
    elsewhere.goto(_claim_link(second, site))
    look(elsewhere, "claim-one-click")
    elsewhere.get_by_role("button", name="Add it to my backpack").click()
    expect(elsewhere.get_by_role("heading", name="It is in your backpack")).to_be_visible()
    look(elsewhere, "claim-one-click-done")
    assert BackpackEntry.objects.filter(assertion=second, user__email=NEW_LEARNER).exists()
    page.goto(f"{site}/backpack/")
    expect(page.get_by_role("link", name="Bricklaying (svg)")).to_be_visible()


def _sign_in(page, site: str, email: str) -> None:
    log_in(page, site, email, lands_on="/backpack/")


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_the_certificate_prints_on_one_a4_page_with_its_qr_code_and_verify_url(
        site, badges, tenant_a, new_page, orientation):  # noqa: F811
    Tenant.objects.filter(pk=tenant_a.pk).update(certificate_orientation=orientation)
    learner = make_user("sam.certificate@learner.example")
    a = award(badges["svg"], learner.email, recipient_name="Samantha Bartholomew-Fitzgerald",
              narrative="Laid a straight course.")
    page = new_page()
    _sign_in(page, site, learner.email)
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    page.goto(f"{site}/backpack/badges/{entry.public_id}/certificate/")
    expect(page.locator(".cert-qr svg")).to_be_visible()
    assert page.locator(".cert-qr svg").get_attribute("viewBox")  # scaled whole, never cropped
    expect(page.locator(".cert-qr .cert-url")).to_have_text(links.verify_url(a))
    look(page, f"certificate-{orientation}")

    # The print button opens the browser's print dialog (recorded here: headless Chromium has none).
    page.evaluate("() => { window.print = function () { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    a4 = {"width": 1123, "height": 794} if orientation == "landscape" else {"width": 794, "height": 1123}
    page.set_viewport_size(a4)
    page.screenshot(path=str(SHOTS / f"learner-certificate-{orientation}-print.png"), full_page=True)
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(pdf.pages) == 1, f"the {orientation} certificate prints on {len(pdf.pages)} pages"
    box = pdf.pages[0].mediabox
    width_mm, height_mm = float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72
    expected = (297, 210) if orientation == "landscape" else (210, 297)
    assert (round(width_mm), round(height_mm)) == expected
    # NFKC: the PDF's font writes "ff", "fi" and "fl" as one ligature glyph, which a random id may hold.
    text = unicodedata.normalize("NFKC", pdf.pages[0].extract_text())
    assert links.verify_url(a) in text.replace("\n", "")
    assert "Samantha Bartholomew-Fitzgerald" in text


def test_an_svg_badge_downloads_as_a_baked_png_too(site, badges, new_page):  # noqa: F811
    learner = make_user("pat.png@learner.example")
    a = award(badges["svg"], learner.email)
    page = new_page()
    _sign_in(page, site, learner.email)
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    page.goto(f"{site}/backpack/badges/{entry.public_id}/")
    expect(page.locator("#download-image")).to_contain_text("SVG")
    look(page, "badge-downloads")
    with page.expect_download() as download:
        page.locator("#download-png").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\x89PNG")
    assert json.loads(read_baked(data))["id"] == links.verify_url(a)
