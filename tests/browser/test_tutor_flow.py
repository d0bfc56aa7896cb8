"""End to end in headless Chromium with a real Celery worker: a tutor logs in, creates a badge class with
an image, awards it in two clicks from the dashboard and the email arrives in an SMTP sink with a working
claim link; then a 200-row CSV with 3 bad rows previews exactly those 3 and issues the 197 with a live
progress bar. Desktop and phone screenshots go to test-artifacts/; axe-core checks every page.

The worker and this process share a private redis-server as broker (never the shared one, so another test
run's worker cannot take these tasks) and the test database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assertions.models import Assertion, BulkJob
from issuers.scoping import tenant_scope
from tests.browser.support import ARTIFACTS, assert_accessible, log_in, wait_until
from tests.support import png_bytes
from tests.support.servers import Worker, private_broker, wait_for

PHONE = {"width": 390, "height": 844}
BAD_LINES = {51: "not-an-email", 101: "duplicate", 151: "bad date"}

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def broker(tmp_path):
    """A private redis-server as this process's broker for the test (and the worker's, below)."""
    with private_broker(tmp_path) as redis:
        yield redis


@pytest.fixture
def worker(live_server, broker, sink, tmp_path, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    proc = Worker(log_dir=tmp_path, smtp_port=sink.port, pool="solo", env={
        "REDIS_URL": broker.url, "PUBLIC_BASE_URL": live_server.url, "BULK_CHUNK_SIZE": "10",
    }).start()
    yield proc
    proc.stop()


def _shot(page: Page, name: str) -> None:
    wait_until(page, "Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=str(ARTIFACTS / f"tutor-{name}.png"), full_page=True)
    # A full-page shot resizes the viewport for a moment; Chromium may then scroll on the next focus change
    # and turn the next click into a click on the form around the button. Start again from the top.
    page.evaluate("window.scrollTo(0, 0)")


def _submit(page: Page, button: str) -> None:
    """Press a form's button and wait for the next page, which must show no form errors."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    errors = page.locator(".errorlist:visible, .message.error:visible")
    assert not errors.count(), f"{button}: {errors.all_inner_texts()}"


def _cohort_csv() -> bytes:
    """200 learners, lines 2-201; lines 51, 101 and 151 are bad (bad email, duplicate row, bad date)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "issued_on"])
    for line in range(2, 202):
        email, day = f"learner{line:03d}@example.org", "2026-09-01"
        if line == 51:
            email = "learner051-at-example.org"
        elif line == 101:
            email = "learner002@example.org"
        elif line == 151:
            day = "31/13/2026"
        writer.writerow([email, f"Learner {line}", day])
    return out.getvalue().encode()


def test_tutor_creates_a_badge_awards_it_in_two_clicks_and_awards_a_cohort(
        live_server, transactional_db, tenant_a, issuer_a, alice, worker, sink, browser):
    base = live_server.url
    tenant_a.primary_colour = "#0f766e"
    tenant_a.save(update_fields=["primary_colour"])
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    desktop.set_default_timeout(15_000)
    page = desktop.new_page()

    # --- Log in: the tenant's landing page is the tutor dashboard ----------------------------------
    log_in(page, base, alice.email)
    page.wait_for_url(f"{base}/t/{tenant_a.slug}/")
    expect(page.locator("h1")).to_have_text("College A")
    expect(page.get_by_text("No badges yet.")).to_be_visible()
    brand = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert brand == "rgb(15, 118, 110)"  # the college's colour

    # --- Create a badge class with an image (live preview) ---------------------------------------------
    page.get_by_role("link", name="New badge").click()
    page.fill("#id_name", "Safe Scaffolding")
    page.fill("#id_description", "Erects a mobile scaffold tower safely.")
    preview = page.locator("#image-preview")
    expect(preview).to_be_hidden()
    page.set_input_files("#id_image", files=[{"name": "scaffold.png", "mimeType": "image/png",
                                              "buffer": png_bytes(160)}])
    expect(preview).to_be_visible()
    assert preview.get_attribute("src").startswith("blob:")
    page.fill("#id_criteria_narrative", "Builds a tower to the manufacturer's guide, with guard rails.")
    page.fill("#id_alignments", "Working at height | https://example.org/wah | CSCS | L1")
    page.fill("#id_tags", "construction, level 1")
    page.fill("#id_validity_days", "730")
    _shot(page, "badge-form")
    assert_accessible(page, "badge form")
    badge_form_url = page.url
    _submit(page, "Create badge")
    expect(page.locator("h1")).to_have_text("Safe Scaffolding")
    expect(page.get_by_text("is ready to award")).to_be_visible()

    # --- Award in two clicks from the dashboard ----------------------------------------------------
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator(".badge-row")).to_have_count(1)
    _shot(page, "dashboard")
    assert_accessible(page, "dashboard")
    dashboard_url = page.url
    page.get_by_role("link", name="Award Safe Scaffolding", exact=True).click()  # click 1
    page.fill("#id_email", "ann.lee@example.org")
    page.fill("#id_name", "Ann Lee")
    _shot(page, "award-form")
    assert_accessible(page, "award form")
    award_url = page.url
    _submit(page, "Award")  # click 2
    expect(page.locator("p.lead")).to_contain_text("Awarded to Ann Lee")
    # The page follows the pipeline by itself (polling), without a reload.
    expect(page.locator('.step[data-key="email"]')).to_have_class(re.compile(r"\bdone\b"), timeout=60_000)
    expect(page.locator('.step[data-key="baked"]')).to_have_class(re.compile(r"\bdone\b"))
    expect(page.locator('.step[data-key="email"] .step-label')).to_have_text("Email sent")
    public_link = page.locator("#public-link").input_value()
    assert public_link.startswith(f"{base}/public/assertions/")
    _shot(page, "assertion")
    assert_accessible(page, "assertion page")
    assertion_url = page.url

    # The email is in the sink, with a claim link that works.
    message = wait_for(lambda: next((m for m in sink.messages if m["To"] == "ann.lee@example.org"), None),
                       timeout=30, message="the award email did not arrive", alive=worker.assert_alive)
    assert "Safe Scaffolding" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Ann Lee" in text
    claim = re.search(rf"{re.escape(base)}/claim/\S+/", text)
    assert claim, text
    learner = browser.new_context().new_page()
    response = learner.goto(claim.group(0))
    assert response.status == 200
    expect(learner.get_by_text("Safe Scaffolding").first).to_be_visible()
    learner.context.close()
    assert page.request.get(public_link).status == 200

    # --- A cohort: 200 rows, 3 bad ---------------------------------------------------------------
    page.goto(dashboard_url)
    page.get_by_role("link", name="Award Safe Scaffolding to a cohort").click()
    page.set_input_files("#id_file", files=[{"name": "cohort-2026.csv", "mimeType": "text/csv",
                                             "buffer": _cohort_csv()}])
    _submit(page, "Check the list")
    expect(page.locator("h1")).to_have_text("Check before issuing")
    expect(page.locator("#good-count")).to_have_text("197")
    rows = page.locator("table.problems tbody tr")
    expect(rows).to_have_count(3)
    lines = [int(rows.nth(i).locator("td").first.inner_text()) for i in range(3)]
    assert lines == sorted(BAD_LINES)
    expect(rows.nth(0)).to_contain_text("not a valid email address")
    expect(rows.nth(1)).to_contain_text("Duplicate")
    expect(rows.nth(2)).to_contain_text("is not a date")
    # A sample of the good rows, as they will be issued: swapped columns would show here.
    sample = page.locator("table.sample tbody tr")
    expect(sample).to_have_count(5)
    expect(sample.first).to_contain_text("learner002@example.org")
    expect(sample.first).to_contain_text("Learner 2")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download bad rows").click()
    bad_rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert bad_rows[0][-2:] == ["problem", "line"]  # after every column of the tutor's file
    assert [row[-1] for row in bad_rows[1:]] == ["51", "101", "151"]
    _shot(page, "cohort-preview")
    assert_accessible(page, "cohort preview")
    preview_url = page.url
    with tenant_scope(tenant_a):
        assert Assertion.objects.count() == 1  # nothing issued by the preview

    percents: list[int] = []

    def record(route) -> None:  # every status answer the page's polling received
        response = route.fetch()
        percents.append(response.json()["percent"])
        route.fulfill(response=response)

    page.route(re.compile(r"/jobs/[^/]+/status/$"), record)
    _submit(page, "Issue 197 badges")
    expect(page.locator("#job-progress")).to_be_visible()
    _shot(page, "job-progress")
    expect(page.locator("#job-summary-text")).to_contain_text("Done: 197 badges issued, 3 rows not issued",
                                                              timeout=90_000)
    assert page.locator("#job-progress").get_attribute("value") == "100"
    assert percents, "the job page never polled its status"
    assert percents[-1] == 100, percents  # the bar was fed by the live status polling
    # The page goes on to show the learners' emails going out, not only the awards recorded.
    expect(page.locator("#job-emails-sent")).to_have_text("197", timeout=90_000)
    expect(page.locator("#job-emails-waiting")).to_have_text("0")
    _shot(page, "job-done")
    assert_accessible(page, "job page")
    job_url = page.url
    with tenant_scope(tenant_a):
        job = BulkJob.objects.get()
        assert (job.status, job.issued, job.failed) == ("done", 197, 3)
        assert Assertion.objects.filter(bulk_job=job).count() == 197

    # Submitting the same file again shows that job; nothing is issued twice.
    page.goto(dashboard_url)
    page.get_by_role("link", name="Award Safe Scaffolding to a cohort").click()
    page.set_input_files("#id_file", files=[{"name": "cohort-2026.csv", "mimeType": "text/csv",
                                             "buffer": _cohort_csv()}])
    page.get_by_role("button", name="Check the list").click()
    expect(page.get_by_text("already submitted this list")).to_be_visible()
    assert page.url == job_url
    with tenant_scope(tenant_a):
        assert BulkJob.objects.count() == 1
        assert Assertion.objects.count() == 198

    # --- The same pages on a phone -----------------------------------------------------------------
    phone = browser.new_context(viewport=PHONE, storage_state=desktop.storage_state(), is_mobile=True,
                                has_touch=True, device_scale_factor=2)
    mobile = phone.new_page()
    for name, url in [("dashboard", dashboard_url), ("badge-form", badge_form_url), ("award-form", award_url),
                      ("assertion", assertion_url), ("cohort-preview", preview_url), ("job", job_url)]:
        mobile.goto(url)
        wait_until(mobile, "Array.from(document.images).every(i => i.complete)")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width}px)"
        mobile.screenshot(path=str(ARTIFACTS / f"tutor-{name}-phone.png"), full_page=True)
    assert_accessible(mobile, "job page on a phone")
    phone.close()
    desktop.close()
    # The cohort's emails go out too, through the same worker: one per learner.
    wait_for(lambda: len(sink.messages) >= 198, timeout=60, message="not every cohort email arrived",
             alive=worker.assert_alive, interval=0.5)
    assert len({m["To"] for m in sink.messages}) == len(sink.messages) == 198
