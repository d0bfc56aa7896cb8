"""In headless Chromium: a college admin defines a stackable pathway, follows a cohort's progress,
and reads the outcomes dashboard; the learner who completes it gets the completion badge."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.browser.support import ARTIFACTS, assert_accessible, log_in
from tests.support import eager_tasks, issue_one, make_user

NAMES = ("Health & Safety", "Food Hygiene", "First Aid", "Allergen Awareness", "Customer Service",
         "Hospitality Ready")

pytestmark = pytest.mark.browser


@pytest.fixture
def badges(tenant_a, issuer_a):
    colours = [(200, 30, 30), (30, 120, 60), (20, 80, 200), (200, 120, 0), (120, 40, 160), (0, 0, 0)]
    made = {}
    with tenant_scope(tenant_a):
        for name, colour in zip(NAMES, colours, strict=True):
            out = io.BytesIO()
            Image.new("RGB", (128, 128), colour).save(out, "PNG")
            b = BadgeClass(tenant=tenant_a, issuer=issuer_a, name=name, description=f"Shows {name.lower()}.")
            b.image.save("b.png", ContentFile(out.getvalue()), save=False)
            b.save()
            made[name] = b
    return made


def test_admin_defines_a_pathway_and_follows_a_learner_to_completion(live_server, settings, tenant_a, alice,
                                                                     badges, page):

    settings.PUBLIC_BASE_URL = live_server.url
    with eager_tasks():  # the capstone is awarded by the worker task, run in-process here
        _run(live_server.url, tenant_a, alice, badges, page)


def _run(base, tenant_a, alice, badges, page):
    with tenant_scope(tenant_a):
        for name in ("Health & Safety", "Food Hygiene", "First Aid"):
            issue_one(badge_class=badges[name], recipient_identity="ann@example.org", recipient_name="Ann Lee")
        issue_one(badge_class=badges["Health & Safety"], recipient_identity="ben@example.org")

    log_in(page, base, alice.email)
    page.get_by_role("link", name="Pathways").first.click()
    page.get_by_role("link", name="New pathway").click()

    page.fill("#id_name", "Hospitality Ready")
    page.fill("#id_description", "Ready to work front of house in a kitchen or café.")
    page.locator("fieldset", has_text="Every one of these").get_by_label("Health & Safety").check()
    page.locator("fieldset", has_text="Every one of these").get_by_label("Food Hygiene").check()
    group = page.locator("fieldset", has_text="Group 1")
    group.get_by_label("At least how many").fill("2")
    for name in ("First Aid", "Allergen Awareness", "Customer Service"):
        group.get_by_label(name).check()
    page.select_option("#id_capstone", label="Hospitality Ready")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "pathway-new.png"), full_page=True)
    page.get_by_role("button", name="Create pathway").click()
    expect(page.get_by_role("heading", name="Hospitality Ready", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 of (Allergen Awareness, Customer Service, First Aid)")

    # A cohort the tutor follows.
    page.goto(f"{base}/t/college-a/cohorts/")
    page.fill("#id_name", "L2 Hospitality, Sept 2026")
    page.fill("#id_emails", "Ann Lee <ann@example.org>\nBen Ode <ben@example.org>")
    page.get_by_role("button", name="Save cohort").click()
    page.select_option("#pathway-select", label="Hospitality Ready")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("row", name="Ann Lee")).to_contain_text("2 of 3")
    expect(page.get_by_role("row", name="Ben Ode")).to_contain_text("1 of 3")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "pathway-cohort.png"), full_page=True)

    # Ann earns an optional badge: the worker awards the completion badge, once.
    with tenant_scope(tenant_a):
        issue_one(badge_class=badges["Allergen Awareness"], recipient_identity="ann@example.org")
        capstones = list(Assertion.objects.filter(badge_class=badges["Hospitality Ready"]))
    assert [(a.recipient_identity, a.recipient_name) for a in capstones] == [("ann@example.org", "Ann Lee")]
    page.reload()
    expect(page.get_by_role("row", name="Ann Lee")).to_contain_text("Completed")

    # Ben, who has an account, sees in his backpack how far he is; so does Ann, who has completed it.
    make_user("ben@example.org")
    learner = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    ben = learner.new_page()
    log_in(ben, base, "ben@example.org")
    ben.goto(f"{base}/backpack/")
    expect(ben.locator(".bp-pathways")).to_contain_text("1 of 3 towards Hospitality Ready")
    assert_accessible(ben, "backpack with pathway progress")
    ben.screenshot(path=str(ARTIFACTS / "pathway-learner-progress-phone.png"), full_page=True)
    learner.close()

    # The outcomes dashboard counts it.
    page.get_by_role("link", name="Outcomes").click()
    expect(page.locator(".stat-tiles")).to_contain_text("Awarded")
    expect(page.locator(".funnel").first).to_contain_text("Completed")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "outcomes.png"), full_page=True)

    # Employers see what the pathway is made of, without logging in.
    page.get_by_role("link", name="Pathways").first.click()
    page.get_by_role("link", name="Hospitality Ready").click()
    pathway_link = page.locator("a[href*='/pathways/']").filter(has_text="/pathways/").first.get_attribute("href")
    assert pathway_link.startswith("/pathways/")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + pathway_link)
    expect(page.get_by_role("heading", name="Hospitality Ready")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("ann@example.org")
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "pathway-public-phone.png"), full_page=True)
