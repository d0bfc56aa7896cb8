"""The learner's path in headless Chromium: the award email's claim link → one-step sign-up → the badge
in the backpack → a collection → its public page, logged out → the LinkedIn link's parameters →
download the baked image and read the assertion back out of it. Screenshots at desktop and phone
sizes; axe-core finds no serious or critical violations on any learner page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from assertions import links
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from issuers.services import issuer_create, tenant_create
from tests.browser.support import ARTIFACTS, assert_accessible
from tests.support import issue_one, png_bytes
from verification.baked import read_baked

LEARNER = "jordan@learner.example"
PASSWORD = "violet-harbour-lantern-63"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


def _shots(page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(ARTIFACTS / f"learner-{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / f"learner-{name}-phone.png"), full_page=True)
    # Nothing may overflow sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, name
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def award(transactional_db):
    tenant = tenant_create(slug="riverside", name="Riverside College", admin_email="admin@riverside.example").tenant
    with tenant_scope(tenant):
        issuer = issuer_create(tenant=tenant, name="Riverside Construction", url="https://riverside.example",
                               email="badges@riverside.example", actor=None)
        badge = BadgeClass(tenant=tenant, issuer=issuer, name="Level 2 Bricklaying",
                           description="Builds cavity walls to Level 2 standard.",
                           criteria_narrative="Builds three cavity walls, level and plumb, observed on site.",
                           alignments=[{"targetName": "NVQ Level 2 Trowel Occupations",
                                        "targetUrl": "https://example.org/nvq2", "targetFramework": "NVQ"}])
        badge.image.save("b.png", ContentFile(png_bytes(256)), save=False)
        badge.save()
        from django.utils import timezone

        return issue_one(badge_class=badge, recipient_identity=LEARNER, recipient_name="Jordan Lee",
                               notify=False, narrative="Built a 6 m cavity wall on the college site.",
                               expires=timezone.now() + timezone.timedelta(days=3 * 365))


def test_learner_claims_collects_shares_and_downloads(live_server, award, browser):
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()

    # --- The award email's link: one-step sign-up, the address is proven by the link --------------
    claim = links.claim_url(award).replace(settings.PUBLIC_BASE_URL, base)
    page.goto(claim)
    expect(page.get_by_role("heading", name="Level 2 Bricklaying")).to_be_visible()
    expect(page.locator("#claim-email")).to_have_value(LEARNER)
    assert_accessible(page)
    _shots(page, "claim")
    page.fill("input[name=name]", "Jordan Lee")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Create account and claim").click()
    page.wait_for_url(re.compile(r"/backpack/badges/[0-9a-f-]+/$"))
    badge_url = page.url
    expect(page.get_by_text("is in your backpack")).to_be_visible()

    # --- The badge is in the backpack --------------------------------------------------------------
    page.get_by_role("link", name="My badges").first.click()
    expect(page.get_by_role("link", name="Level 2 Bricklaying")).to_be_visible()
    expect(page.get_by_text("Riverside Construction")).to_be_visible()
    assert_accessible(page)
    _shots(page, "backpack")

    # --- Add it to a collection --------------------------------------------------------------------
    page.get_by_role("link", name="Collections").click()
    page.fill("input[name=name]", "Level 2 Construction")
    page.get_by_label("Public: on my collection pages and its share page").check()
    page.get_by_label(re.compile("Level 2 Bricklaying")).check()
    page.get_by_role("button", name="Create collection").click()
    expect(page.get_by_text("Created “Level 2 Construction”")).to_be_visible()
    collection_url = base + page.locator("#collection-page").get_attribute("href")

    # --- The public collection page, logged out ----------------------------------------------------
    visitor = browser.new_context(viewport=PHONE)
    public = visitor.new_page()
    public.goto(collection_url)
    expect(public.get_by_role("heading", name="Level 2 Construction")).to_be_visible()
    expect(public.get_by_text("Level 2 Bricklaying")).to_be_visible()
    expect(public.get_by_role("button", name="Log out")).to_have_count(0)
    assert_accessible(public)
    _shots(public, "collection-public")
    # The share page, as a link-preview crawler sees it.
    public.goto(base + f"/s/{award.public_id}/")
    assert public.locator('meta[property="og:title"]').get_attribute("content") == "Level 2 Bricklaying"
    assert_accessible(public)
    _shots(public, "share")
    visitor.close()

    # --- The LinkedIn link carries the right parameters -------------------------------------------
    page.goto(badge_url)
    assert_accessible(page)
    _shots(page, "badge")
    href = page.locator("#linkedin-add").get_attribute("href")
    parts = urlsplit(href)
    assert (parts.netloc, parts.path) == ("www.linkedin.com", "/profile/add")
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["name"] == "Level 2 Bricklaying"
    assert q["organizationName"] == "Riverside Construction"
    assert q["issueYear"] == str(award.issued_on.year)
    assert q["issueMonth"] == str(award.issued_on.month)
    assert q["expirationYear"] == str(award.expires.year)
    assert q["certId"] == str(award.public_id)
    assert q["certUrl"] == links.verify_url(award)

    # --- Download the baked image and read the assertion back out of it --------------------------
    with page.expect_download() as download:
        page.locator("#download-image").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\x89PNG")
    assert json.loads(read_baked(data))["id"] == links.verify_url(award)

    # --- The printable certificate ------------------------------------------------------------------
    page.get_by_role("link", name="Printable certificate").click()
    expect(page.get_by_role("heading", name="Jordan Lee")).to_be_visible()
    expect(page.locator(".cert-qr svg")).to_be_visible()
    assert_accessible(page)
    _shots(page, "certificate")
    page.emulate_media(media="print")
    expect(page.locator(".cert-noprint")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "learner-certificate-print.png"), full_page=True)
    context.close()
