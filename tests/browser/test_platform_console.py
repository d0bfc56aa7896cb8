"""In headless Chromium (desktop and phone): a platform admin signs in with TOTP, creates a college and its
first admin, invited by email, finishes the set-up checklist; then the admin suspends and re-activates a
college with a reason its staff see, sets a limit that stops the tutor's award form, and offboards it: the
archive's baked badge verifies with the reference validator, and after deletion its public page answers
410. Screenshots go to test-artifacts/; axe-core checks every page."""

from __future__ import annotations

import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from console.models import Offboarding
from console.tasks import offboardings_delete
from issuers.models import Tenant
from tests.browser.support import ARTIFACTS, assert_accessible
from tests.support import PASSWORD, eager_tasks, issue_to_learner, make_user, png_bytes, totp_code
from tests.support.conformance import errors, validate

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _shot(page: Page, name: str) -> None:
    """A desktop and a phone screenshot of the page as it is, then back to desktop."""
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.evaluate("window.scrollTo(0, 0)")


def _submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    errors_shown = page.locator(".errorlist:visible, .message.error:visible")
    assert not errors_shown.count(), f"{button}: {errors_shown.all_inner_texts()}"


def _log_in(page: Page, base: str, email: str, *, totp_for=None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()
    if totp_for is not None:
        page.fill("input[name=code]", totp_code(totp_for))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign In").click()


def _steps_done(page: Page) -> str:
    return page.locator(".setup-progress strong").inner_text()


def test_a_platform_admin_creates_a_college_and_its_first_admin_finishes_the_checklist(
        live_server, settings, browser, platform_admin, sink):
    settings.PUBLIC_BASE_URL = base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()

    _log_in(page, base, platform_admin.email, totp_for=platform_admin)
    page.goto(f"{base}/platform/")
    expect(page.locator("h1")).to_have_text("Colleges")
    page.fill("#id_name", "Northgate College")
    page.fill("#id_slug", "northgate")
    page.fill("#id_timezone", "Europe/Dublin")
    page.fill("#id_admin_email", "head@northgate.example")
    assert_accessible(page, "console colleges")
    with eager_tasks():
        _submit(page, "Create college")
    expect(page.locator("h1")).to_have_text("Northgate College")
    expect(page.locator(".messages")).to_contain_text("An invitation is on its way to head@northgate.example")
    assert_accessible(page, "console college page")
    _shot(page, "college-created")
    page.goto(f"{base}/platform/")
    expect(page.locator("table.colleges")).to_contain_text("Northgate College")
    _shot(page, "colleges")
    page.get_by_role("link", name="Health").click()
    expect(page.locator("h1")).to_have_text("Platform health")
    expect(page.locator(".periodic")).to_have_count(len(settings.CELERY_BEAT_SCHEDULE))
    assert_accessible(page, "platform health")
    _shot(page, "health")
    context.close()

    (invitation,) = [m for m in sink.messages if m["To"] == "head@northgate.example"]
    link = re.search(r"https?://[^/\s]+(/invitations/\S+/)", invitation.get_body(("plain",)).get_content()).group(1)
    head = make_user("head@northgate.example")  # the first admin signs up (their address proven)
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(page, base, head.email)
    page.goto(f"{base}{link}")
    _submit(page, "Accept invitation")
    setup_url = f"{base}/t/northgate/setup/"
    assert page.url == setup_url  # a new admin lands on the checklist
    expect(page.locator("h1")).to_have_text("Setting up Northgate College")
    assert _steps_done(page) == "0 of 6"
    assert_accessible(page, "set-up checklist")
    _shot(page, "setup-start")

    page.get_by_role("link", name="College details and time zone").click()
    page.fill("#id_contact_email", "office@northgate.example")
    page.locator("#id_primary_colour").fill("#0f766e")
    _submit(page, "Save settings")
    page.goto(setup_url)
    assert _steps_done(page) == "2 of 6"  # details and colour

    page.get_by_role("link", name="Your first issuer profile").click()
    page.fill("#id_url", "https://northgate.example")
    _submit(page, "Save")
    page.goto(setup_url)
    page.get_by_role("link", name="Your first badge").click()
    page.fill("#id_name", "First Aid at Work")
    page.fill("#id_description", "Gives first aid at work.")
    page.set_input_files("#id_image", files=[{"name": "aid.png", "mimeType": "image/png", "buffer": png_bytes(160)}])
    page.fill("#id_criteria_narrative", "Passes the practical assessment.")
    _submit(page, "Create badge")
    page.goto(setup_url)
    page.get_by_role("link", name="Invite a tutor").click()
    page.fill("#id_email", "tutor@northgate.example")
    with eager_tasks():
        _submit(page, "Send invitation")
    page.goto(setup_url)
    assert _steps_done(page) == "5 of 6"

    page.get_by_role("link", name="Your first award").click()
    page.get_by_role("link", name="Award First Aid at Work", exact=True).click()
    page.fill("#id_email", "ann@example.org")
    page.fill("#id_name", "Ann Lee")
    with eager_tasks():
        _submit(page, "Award")
    page.goto(setup_url)
    assert _steps_done(page) == "6 of 6"
    expect(page.locator(".setup-progress")).to_contain_text("ready to award badges")
    page.get_by_role("link", name="An API key").click()
    page.fill("#id_name", "MIS")
    _submit(page, "Create key")
    page.goto(setup_url)
    expect(page.locator(".check.todo")).to_have_count(0)
    assert_accessible(page, "finished checklist")
    _shot(page, "setup-done")
    context.close()


def test_suspend_reactivate_limit_and_offboard_a_college(live_server, settings, browser, platform_admin, alice,
                                                        tenant_a, badge_a, tmp_path):
    settings.PUBLIC_BASE_URL = base = live_server.url
    settings.ARCHIVE_ROOT = tmp_path / "archives"
    with eager_tasks():
        award = issue_to_learner(tenant_a, badge_a)
    admin = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    admin.set_default_timeout(15_000)
    console = admin.new_page()
    _log_in(console, base, platform_admin.email, totp_for=platform_admin)
    college_url = f"{base}/platform/colleges/{tenant_a.public_id}/"
    tutor = browser.new_context(viewport=DESKTOP)
    tutor.set_default_timeout(15_000)
    staff = tutor.new_page()
    _log_in(staff, base, alice.email)

    # --- suspend with a reason: the staff see it; the badge keeps verifying; re-activate ------------------
    console.goto(college_url)
    console.fill("#id_reason", "The contract ended on 30 November.")
    _submit(console, "Suspend College A")
    expect(console.locator(".status-reason")).to_have_text("The contract ended on 30 November.")
    assert_accessible(console, "suspended college in the console")
    _shot(console, "suspended")
    staff.goto(f"{base}/t/{tenant_a.slug}/")
    expect(staff.locator(".message.error")).to_contain_text("Reason: The contract ended on 30 November.")
    _shot(staff, "staff-sees-suspension")
    staff.goto(f"{base}/public/assertions/{award.public_id}")
    expect(staff.locator("body")).to_contain_text("Safe Scaffolding")
    assert "valid" in staff.locator(".verdict").get_attribute("class")
    console.fill("#id_reason", "Renewed.")
    _submit(console, "Re-activate College A")
    assert Tenant.objects.get(pk=tenant_a.pk).is_active

    # --- a limit stops the award form with a clear message -----------------------------------------------
    console.fill("#id_limit_badges_per_month", "1")
    _submit(console, "Save limits")
    staff.goto(f"{base}/t/{tenant_a.slug}/badges/{badge_a.public_id}/award/")
    staff.fill("#id_email", "ben@example.org")
    staff.fill("#id_name", "Ben Ode")
    staff.get_by_role("button", name="Award", exact=True).click()
    expect(staff.locator(".errorlist, .message.error").first).to_contain_text(
        "College A has reached its limit of 1 badge a month")
    assert_accessible(staff, "award refused at the limit")
    _shot(staff, "limit-reached")

    # --- offboard: archive, validator, deletion, 410 ------------------------------------------------------
    console.goto(college_url)
    console.fill("#id_grace_days", "0")
    console.fill("#id_confirm", tenant_a.slug)
    with eager_tasks():
        _submit(console, "Offboard")
    console.reload()
    expect(console.locator(".offboarding .pill")).to_have_text("Archive ready; deletion scheduled")
    _shot(console, "offboarding-ready")
    with console.expect_download() as download:
        console.get_by_role("link", name="Download the archive").click()
    archive_file = tmp_path / "archive.zip"
    download.value.save_as(archive_file)
    baked = tmp_path / "baked.png"
    with zipfile.ZipFile(archive_file) as archive:
        baked.write_bytes(archive.read(f"awards/{award.public_id}.png"))
    report = validate(str(baked))
    assert report["valid"], errors(report)

    Offboarding.objects.filter(tenant=tenant_a).update(delete_after=timezone.now() - timedelta(seconds=1))
    offboardings_delete.apply()
    response = staff.goto(f"{base}/public/assertions/{award.public_id}")
    assert response.status == 410
    expect(staff.locator("h1")).to_have_text("This badge can no longer be verified here")
    expect(staff.locator("main")).to_contain_text("College A, which has left Badge Platform")
    assert_accessible(staff, "removed badge")
    _shot(staff, "badge-gone")
    admin.close()
    tutor.close()
