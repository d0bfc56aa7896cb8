"""In headless Chromium, at desktop and phone sizes, against lti1p3platform (tests/support/lti_platform.py):
a teacher opens the badge picker from the course (deep linking), chooses a badge and a rule, the answer
goes back to the platform, and the teacher's launch shows who has the badge and who is close. axe-core
checks the pages and the Content-Security-Policy must allow them (the picker posts back to the platform)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.support import ARTIFACTS, CspWatch, look_at_both_sizes, wait_until
from tests.support.lti_platform import AMY, TEACHER, Platform, course_with_quiz, register

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "lti" if ARTIFACTS.parent.exists() else Path("/tmp/lti-shots")


@pytest.fixture
def platform(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.LTI_ALLOW_PRIVATE_ADDRESSES = True
    found = Platform("moodle").start()
    yield found
    found.stop()


def _launch(page, platform, person, **kwargs) -> None:  # noqa: ANN001
    """The person opens the tool from the course: our login, the platform's signed form, posted back."""
    page.goto(platform.login_url(person, **kwargs))
    wait_until(page, "document.forms.length > 0")
    with page.expect_navigation():
        page.evaluate("document.forms[0].submit()")


def test_a_teacher_picks_a_badge_and_sees_who_has_it(platform, page, browser, tenant_a, badge_a):
    csp = CspWatch()
    csp.attach(page)
    register(platform, tenant_a)
    course_with_quiz(platform)

    _launch(page, platform, TEACHER, deep_link=True)
    expect(page.get_by_role("heading", name=f"Badge for {platform.course.title}")).to_be_visible()
    look_at_both_sizes(page, "lti-picker", SHOTS)
    page.get_by_label("Safe Scaffolding").check()
    page.get_by_label("Activity", exact=True).select_option(label="Final quiz")
    page.get_by_label("Scored at least").check()
    page.get_by_label("Score, in percent").fill("70")
    with page.expect_navigation(url=f"{platform.url}/deep-link-return"):
        page.get_by_role("button", name="Add this badge to the course").click()
    (item,) = platform.deep_link_items
    custom = item["custom"]

    _launch(page, platform, TEACHER, custom=custom)
    expect(page.get_by_role("heading", name="Safe Scaffolding")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 of 3 learners have it, 1 is close")
    expect(page.locator("tr", has_text="Amy Able")).to_contain_text("has the badge")
    expect(page.locator("tr", has_text="Ben Close")).to_contain_text("close")
    look_at_both_sizes(page, "lti-teacher", SHOTS)

    _launch(page, platform, AMY, custom=custom)
    expect(page.locator("main")).to_contain_text("You have this badge")
    look_at_both_sizes(page, "lti-learner", SHOTS)
    csp.assert_none()
