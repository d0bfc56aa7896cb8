"""The public assertion JSON and page come from the cache, and every change shows on the next request."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from assertions.services import assertion_revoke
from badges.services import badge_class_update
from issuers.scoping import tenant_scope
from issuers.services import issuer_update
from verification import publication

LD = {"HTTP_ACCEPT": "application/ld+json"}
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_the_json_is_served_from_the_cache_without_a_query(client, issue, django_assert_num_queries):
    a = issue()
    url = f"/public/assertions/{a.public_id}"
    first = client.get(url, **LD)
    with django_assert_num_queries(0):
        again = client.get(url, **LD)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Access-Control-Allow-Origin"] == "*"
    with django_assert_num_queries(0):
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **LD).status_code == 304


def test_revocation_shows_on_the_very_next_request(client, issue, tenant_a, django_capture_on_commit_callbacks):
    a = issue()
    url = f"/public/assertions/{a.public_id}"
    assert client.get(url, **LD).status_code == 200
    assert b"Valid badge" in client.get(url, **HTML).content
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Issued in error")
    response = client.get(url, **LD)
    assert response.status_code == 410
    assert response.json()["revoked"] is True
    page = client.get(url, **HTML)
    assert page.status_code == 410
    assert b"Revoked: not valid" in page.content
    assert b"Issued in error" in page.content


def test_a_reader_that_raced_the_change_cannot_put_the_old_document_back(client, issue):
    a = issue()
    url = f"/public/assertions/{a.public_id}"
    stale = ("stale",)
    publication.publication_changed(assertion_ids=[a.public_id])
    # A request that read the database before the change now tries to store what it read:
    assert cache.add(publication.json_key(a.public_id), stale) is False
    assert client.get(url, **LD).json()["id"].endswith(str(a.public_id))


def test_badge_class_and_issuer_edits_refresh_the_cached_page(client, issue, tenant_a, issuer_a, badges,
                                                              django_capture_on_commit_callbacks):
    a = issue()
    url = f"/public/assertions/{a.public_id}"
    assert b"College A Construction" in client.get(url, **HTML).content
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        issuer_update(issuer=issuer_a, name="College A Building School")
    assert b"College A Building School" in client.get(url, **HTML).content
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        badge_class_update(badge_class=badges["png"], tags=["masonry-level-2"])
    assert b"masonry-level-2" in client.get(url, **HTML).content


@pytest.mark.parametrize("accept", [LD, {"HTTP_ACCEPT": "*/*"}, {}])
def test_verifiers_still_get_json_ld_with_its_headers(client, issue, accept):
    a = issue()
    for _ in range(2):  # built, then cached
        response = client.get(f"/public/assertions/{a.public_id}", **accept)
        assert response["Content-Type"].startswith("application/ld+json")
        assert "Accept" in response["Vary"]
        assert response.json()["type"] == "Assertion"


def test_the_page_shows_the_same_verification_as_the_verify_page(client, issue, settings):
    a = issue()
    page = client.get(f"/public/assertions/{a.public_id}", **HTML)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    for text in (b"Valid badge", b"Every check we made", b"Bricklaying (png)", b"CSCS Level 1",
                 b"enter the candidate", b'name="csrfmiddlewaretoken"'):
        assert text in page.content or text in page.content.lower(), text


def test_an_unknown_assertion_is_404_and_not_cached(client, db):
    url = "/public/assertions/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11"
    assert client.get(url, **LD).status_code == 404
    assert client.get(url, **HTML).status_code == 404
    assert cache.get(publication.json_key("7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11")) is None
