"""The employer's journeys in headless Chromium, each looked at on a desktop (1280x800) and a phone
(390x844) and checked with axe-core: every kind of link a learner shares pasted into /verify (share
page, collection, the badge's page, the certificate's QR target), a genuine badge checked against the
wrong email, a revoked and an expired badge with their facts, and the home page's two doors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assertions import links
from assertions.services import assertion_revoke
from backpack import selectors, services
from backpack.models import BackpackEntry, Visibility
from issuers.scoping import tenant_scope
from tests.browser.support import DESKTOP, look_at_both_sizes, shots

# The verification fixtures (pytest finds them by these names in this module).
from tests.support import RECIPIENT, make_user
from tests.support.verification import badges, issue  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

SHOTS = shots("employer")


def look(page, name: str) -> None:
    look_at_both_sizes(page, name, SHOTS)


def paste(page, base: str, link: str, recipient: str = "") -> None:
    page.goto(f"{base}/verify/")
    page.fill("#id_badge", link)
    if recipient:
        page.fill("#id_recipient", recipient)
    page.get_by_role("button", name="Verify", exact=True).click()


@pytest.fixture
def employer(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def site(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.VERIFY_RATE_LIMIT = "1000/minute"
    return live_server.url


def test_every_kind_of_link_a_learner_shares_verifies_on_the_verify_page(site, issue, employer):  # noqa: F811
    png, svg = issue("png"), issue("svg")
    learner = make_user(RECIPIENT)
    selectors.entries_sync(learner)
    collection = services.collection_create(
        user=learner, name="Construction portfolio", visibility=Visibility.LINK,
        entries=list(BackpackEntry.objects.filter(user=learner).order_by("pk")))

    kinds = {
        "share-link": links.share_url(png),  # what "Copy link" gives
        "badge-page": f"{site}/public/assertions/{svg.public_id}",
        "qr-target": links.verify_url(png),  # what the certificate's QR code holds
        "verify-link": f"{site}/verify/?url={links.share_url(svg)}",
    }
    for name, link in kinds.items():
        paste(employer, site, link)
        expect(employer.get_by_role("heading", name="Valid badge", exact=True)).to_be_visible()
        expect(employer.locator(".issuer-card")).to_contain_text("College A Construction")
        expect(employer.locator(".verdict-time")).to_contain_text(" GMT")  # the college's zone, named
        look(employer, f"verify-{name}")

    paste(employer, site, f"{site}/c/{collection.public_id}/")
    expect(employer.get_by_role("heading", name="Every badge is valid")).to_be_visible()
    expect(employer.locator(".verdict-summary").first).to_contain_text("Construction portfolio")
    expect(employer.get_by_role("heading", name="Valid badge", exact=True)).to_have_count(2)
    expect(employer.get_by_role("heading", name="Bricklaying (png)")).to_be_visible()
    expect(employer.get_by_role("heading", name="Bricklaying (svg)")).to_be_visible()
    look(employer, "verify-collection")

    # The share page a learner sends advertises its assertion for other verifiers.
    employer.goto(links.share_url(png))
    alternate = employer.locator('link[rel="alternate"][type="application/ld+json"]')
    assert alternate.get_attribute("href") == links.verify_url(png)
    look(employer, "share-page")


def test_a_genuine_badge_checked_against_another_email_says_so(site, issue, employer):  # noqa: F811
    a = issue()
    paste(employer, site, links.share_url(a), recipient="someone.else@example.org")
    expect(employer.get_by_role("heading", name="Genuine badge, but not issued to this email address")).to_be_visible()
    expect(employer.locator(".verdict")).to_contain_text("Ask the candidate")
    expect(employer.get_by_text("Not valid", exact=True)).to_have_count(0)
    assert "someone.else@example.org" not in employer.content()
    look(employer, "verify-wrong-email")
    paste(employer, site, links.share_url(a), recipient=RECIPIENT)
    expect(employer.get_by_role("heading", name="Valid badge", exact=True)).to_be_visible()
    expect(employer.locator(".checks")).to_contain_text("is the one this badge was issued to")


def test_a_revoked_badge_shows_its_facts_on_the_verify_result_and_the_share_page(
        site, issue, tenant_a, employer):  # noqa: F811
    expires = date.today() + timedelta(days=400)
    a = issue(expires=expires)
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Assessment evidence was not the learner's own")
        a.refresh_from_db()
    day = f"{expires.day} {expires:%B %Y}"
    paste(employer, site, links.share_url(a))
    expect(employer.get_by_role("heading", name="Revoked: not valid")).to_be_visible()
    facts = employer.locator(".badge-card .facts")
    issued = timezone.localtime(a.issued_on, tenant_a.zone)
    expect(facts).to_contain_text(f"Issued{issued.day} {issued:%B %Y}")
    expect(facts).to_contain_text("Revoked")
    expect(facts).to_contain_text("ReasonAssessment evidence was not the learner's own")
    expect(facts).to_contain_text(f"Expires{day}")  # the real expiry, not "Never"
    look(employer, "verify-revoked")

    employer.goto(links.share_url(a))
    expect(employer.locator(".bp-revoked-stamp")).to_have_text("Revoked")
    expect(employer.get_by_role("img", name="Bricklaying (png) badge, revoked")).to_be_visible()
    expect(employer.locator(".bp-alert")).to_contain_text("Reason: Assessment evidence was not the learner's own")
    expect(employer.get_by_text("Valid until")).to_have_count(0)
    look(employer, "share-revoked")


def test_an_expired_badge_says_when_it_expired(site, issue, employer):  # noqa: F811
    a = issue(issued_on=date(2025, 1, 10), expires=date(2025, 12, 31))
    paste(employer, site, links.share_url(a))
    expect(employer.get_by_role("heading", name="Expired: no longer valid")).to_be_visible()
    expect(employer.locator(".verdict-summary")).to_have_text("This badge was genuine but expired on 31 December 2025.")
    expect(employer.locator(".badge-card .facts")).to_contain_text("Expired31 December 2025")
    expect(employer.locator(".checks")).to_contain_text("This badge expired on 31 December 2025.")
    look(employer, "verify-expired")
    employer.goto(links.share_url(a))
    expect(employer.locator(".bp-alert")).to_contain_text("expired on 31 December 2025")
    look(employer, "share-expired")


def test_the_home_page_has_a_door_for_employers_and_one_for_learners(site, employer):
    employer.goto(f"{site}/")
    expect(employer.get_by_role("link", name="Verify a badge")).to_be_visible()
    expect(employer.get_by_role("link", name="My badges").last).to_be_visible()
    look(employer, "home")
    employer.locator(".home-door").get_by_role("link", name="Verify a badge").click()
    expect(employer.get_by_role("heading", name="Verify a badge")).to_be_visible()
    employer.goto(f"{site}/")
    employer.locator(".home-door").get_by_role("link", name="My badges").click()
    expect(employer).to_have_url(f"{site}/accounts/login/?next=/backpack/")
