"""Any link a learner shares verifies: the share page, a collection (every badge on it), the badge's
page, the certificate's QR code or a /verify?url= link, in the verifier, on /verify and in the API;
and a foreign badge's web page through the assertion it advertises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assertions import links
from assertions.documents import public_url
from assertions.services import assertion_revoke
from backpack import selectors, services
from backpack.models import BackpackEntry, Visibility
from issuers.scoping import tenant_scope
from tests.support import RECIPIENT, make_user
from tests.support.foreign import ForeignIssuer, Server
from verification.verifier import verify, verify_collection

API = "/api/v1/verify/"


@pytest.fixture
def collection_of(issue):
    """A learner's collection of ``n`` of our badges (one PNG, then SVG), as its public link."""
    def _make(n: int = 2, visibility: str = Visibility.LINK):
        awarded = [issue("png" if i == 0 else "svg") for i in range(n)]
        learner = make_user(RECIPIENT)
        selectors.entries_sync(learner)
        entries = list(BackpackEntry.objects.filter(user=learner, assertion__in=awarded))
        collection = services.collection_create(user=learner, name="For employers", visibility=visibility,
                                                entries=entries)
        return awarded, links.share_url(awarded[0]).replace(f"/s/{awarded[0].public_id}/",
                                                             f"/c/{collection.public_id}/")
    return _make


def test_the_share_page_link_verifies_the_badge(issue):
    a = issue()
    result = verify(url=links.share_url(a), recipient=RECIPIENT)
    assert result.verdict == "valid", result.checks
    assert result.recipient_matched is True
    assert result.assertion_url == public_url("assertions", a.public_id)


def test_the_certificates_qr_target_and_a_verify_link_verify_the_badge(issue, settings):
    a = issue()
    assert verify(url=links.verify_url(a)).verdict == "valid"
    via_page = f"{settings.PUBLIC_BASE_URL}/verify/?url={links.share_url(a)}"
    assert verify(text=via_page).verdict == "valid"


def test_a_share_link_to_an_unknown_badge_is_not_valid(db, settings):
    result = verify(url=f"{settings.PUBLIC_BASE_URL}/s/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11/")
    assert result.verdict == "invalid"
    assert "does not exist" in " ".join(c.message for c in result.checks)


def test_a_collection_link_verifies_every_badge_on_it(collection_of):
    awarded, url = collection_of(2)
    found = verify_collection(url=url)
    assert found is not None
    assert found.name == "For employers"
    assert [r.assertion_url for r in found.results] == [public_url("assertions", a.public_id) for a in awarded]
    assert found.valid
    with tenant_scope(awarded[1].tenant):
        assertion_revoke(assertion=awarded[1], reason="Issued in error")
    found = verify_collection(url=url)
    assert [r.verdict for r in found.results] == ["valid", "revoked"]
    assert not found.valid


def test_a_private_collection_link_shows_no_badge(collection_of):
    _, url = collection_of(1, visibility=Visibility.PRIVATE)
    found = verify_collection(url=url)
    assert found is not None
    assert found.results == []
    assert not found.valid


def test_the_api_verifies_a_share_link_and_a_collection_link(client, collection_of):
    awarded, url = collection_of(2)
    one = client.post(API, {"url": links.share_url(awarded[0])}, content_type="application/json").json()
    assert one["verdict"] == "valid"
    assert one["recipient_matched"] is None
    many = client.post(API, {"url": url, "recipient": RECIPIENT}, content_type="application/json")
    assert many.status_code == 200
    body = many.json()
    assert body["valid"] is True
    assert body["collection"]["name"] == "For employers"
    assert [b["verdict"] for b in body["badges"]] == ["valid", "valid"]
    assert all(b["recipient_matched"] is True for b in body["badges"])


def test_the_verify_page_shows_each_badge_of_a_collection(client, collection_of):
    _, url = collection_of(2)
    page = client.post("/verify/", {"badge": url})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Every badge is valid" in html
    assert "Bricklaying (png)" in html
    assert "Bricklaying (svg)" in html


def test_the_share_and_assertion_pages_advertise_their_assertion(client, issue):
    a = issue()
    alternate = f'<link rel="alternate" type="application/ld+json" href="{public_url("assertions", a.public_id)}">'
    assert alternate in client.get(f"/s/{a.public_id}/").content.decode()
    page = client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="text/html")
    assert alternate in page.content.decode()


@pytest.fixture
def foreign(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True
    server = Server()
    yield server, ForeignIssuer(server)
    server.close()


def _page(server: Server, path: str, href: str) -> str:
    html = (f'<!doctype html><html><head><title>My badge</title><link rel="canonical" href="{path}">'
            f'<link rel="alternate" type="application/ld+json" href="{href}"></head><body>Badge</body></html>')
    server.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, html.encode())
    return server.url(path)


def test_a_foreign_badge_page_is_verified_through_the_assertion_it_advertises(foreign):
    server, northgate = foreign
    doc = northgate.assertion("21")
    page = _page(server, "/learners/lee/badges/21", "/assertions/21")  # relative to the page
    result = verify(url=page, recipient="learner@example.org")
    assert result.verdict == "valid", result.checks
    assert result.assertion_url == doc["id"]
    assert result.recipient_matched is True


def test_a_foreign_page_advertising_another_sites_assertion_is_held_to_the_issuers_origin(foreign):
    server, northgate = foreign
    elsewhere = Server()
    try:
        forged = ForeignIssuer(elsewhere, name="Copycat")
        doc = forged.assertion("22", badge_url=northgate.badge_url)  # claims Northgate's badge from elsewhere
        page = _page(server, "/learners/lee/badges/22", doc["id"])
        result = verify(url=page)
    finally:
        elsewhere.close()
    assert result.verdict == "invalid"
    assert any(c.name == "issuer" and not c.passed for c in result.checks)


def test_a_foreign_web_page_with_no_advertised_assertion_is_not_valid(foreign):
    server, _ = foreign
    server.routes["/plain"] = (200, {"Content-Type": "text/html"}, b"<html><head></head><body>hi</body></html>")
    result = verify(url=server.url("/plain"))
    assert result.verdict == "invalid"
    assert "not an Open Badges JSON document" in " ".join(c.message for c in result.checks)


def test_the_revoked_result_carries_issue_revocation_reason_and_real_expiry(issue, tenant_a):
    expires = timezone.now() + timedelta(days=200)
    a = issue(expires=expires.date())
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Assessment was not completed")
        a.refresh_from_db()
    result = verify(url=public_url("assertions", a.public_id))
    assert result.verdict == "revoked"
    badge = result.badge
    assert badge["issued_on"], badge
    assert badge["expires"], badge
    assert badge["revocation_reason"] == "Assessment was not completed"
    assert badge["revoked_at"] == a.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result.time_zone == tenant_a.timezone


def test_the_learners_own_badge_page_link_verifies_the_badge(issue, settings):
    a = issue()
    learner = make_user(RECIPIENT)
    selectors.entries_sync(learner)
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    result = verify(url=f"{settings.PUBLIC_BASE_URL}/backpack/badges/{entry.public_id}/")
    assert result.verdict == "valid", result.checks
    assert result.assertion_url == public_url("assertions", a.public_id)
    unknown = verify(url=f"{settings.PUBLIC_BASE_URL}/backpack/badges/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11/")
    assert unknown.verdict == "invalid"
