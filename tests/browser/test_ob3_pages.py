"""The learner's Open Badges 3.0 downloads and links, looked at in headless Chromium on a desktop
(1280x800) and a phone (390x844) and checked with axe-core: the badge page offers the OB 3.0 JSON, JWT
and baked image beside the OB 2.0 downloads (each one downloads), the share page links both forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backpack.models import BackpackEntry
from tests.browser.support import DESKTOP, log_in, look_at_both_sizes, shots
from tests.support import make_user
from tests.support.learners import award
from tests.support.verification import badges  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

SHOTS = shots("ob3issue")


def look(page, name: str) -> None:
    look_at_both_sizes(page, name, SHOTS)


def test_the_backpack_offers_ob3_beside_ob2_and_the_share_page_links_both(
        live_server, settings, badges, browser):  # noqa: F811
    settings.PUBLIC_BASE_URL = site = live_server.url
    learner = make_user("ola.ob3@learner.example")
    a = award(badges["png"], learner.email)
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    log_in(page, site, learner.email, lands_on="/backpack/")
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    page.goto(f"{site}/backpack/badges/{entry.public_id}/")
    expect(page.get_by_role("link", name="Open Badges 3.0 JSON")).to_be_visible()
    expect(page.get_by_role("link", name="Open Badges 2.0 JSON")).to_be_visible()
    look(page, "backpack-badge")
    with page.expect_download() as download:
        page.get_by_role("link", name="Open Badges 3.0 JSON").click()
    credential = json.loads(Path(download.value.path()).read_text())
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Open Badges 3.0 JWT").click()
    assert Path(download.value.path()).read_text().count(".") == 2
    with page.expect_download() as download:
        page.locator("#download-ob3-image").click()
    assert download.value.suggested_filename.endswith("-ob3.png")

    page.goto(f"{site}/s/{a.public_id}/")
    expect(page.get_by_role("link", name="Open Badges 3.0 credential")).to_be_visible()
    look(page, "share-page")
    context.close()
