"""Public JSON documents and baked images are served from their ready cache entries before sessions,
CSRF, authentication and tenancy run (verification.lean), on the real cache (Redis when REDIS_URL is
set, as in CI), and every change still shows on the very next request."""

from __future__ import annotations

import os

import pytest

from assertions.services import assertion_revoke
from badges.services import badge_class_update
from issuers.scoping import tenant_scope
from issuers.services import issuer_update

LD = {"HTTP_ACCEPT": "application/ld+json"}
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _lean(response) -> bool:
    """The request never reached the session middleware (nor anything after it)."""
    return not hasattr(response.wsgi_request, "session")


def _urls(a) -> dict[str, str]:
    issuer = a.badge_class.issuer.public_id
    return {"assertion": f"/public/assertions/{a.public_id}", "image": f"/public/assertions/{a.public_id}/image",
            "badge": f"/public/badges/{a.badge_class.public_id}", "issuer": f"/public/issuers/{issuer}",
            "revocations": f"/public/issuers/{issuer}/revocations"}


def test_the_tests_use_a_cache_every_process_shares():
    from django.core.cache import caches
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache if os.environ.get("REDIS_URL") else FileBasedCache)


@pytest.mark.parametrize("name", ["assertion", "image", "badge", "issuer", "revocations"])
def test_a_document_asked_for_again_comes_from_the_lean_path_without_a_query(client, issue, name,
                                                                              django_assert_num_queries):
    url = _urls(issue())[name]
    first = client.get(url, **LD)
    assert first.status_code == 200
    assert not _lean(first)  # built by the view, through the whole stack
    with django_assert_num_queries(0):
        again = client.get(url, **LD)
    assert _lean(again)
    assert (again.status_code, again.content, again["ETag"]) == (200, first.content, first["ETag"])
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["Cache-Control"] == first["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=10"
    assert "Set-Cookie" not in again
    assert not again.cookies
    with django_assert_num_queries(0):
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=f'W/{first["ETag"]}, "other"', **LD)
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", first["ETag"])
    assert _lean(unchanged)


def test_a_baked_image_from_the_lean_path_keeps_its_sandbox_headers(client, issue):
    url = _urls(issue())["image"]
    client.get(url)
    again = client.get(url)
    assert _lean(again)
    assert again["Content-Type"] == "image/png"
    assert again["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in again["Content-Security-Policy"]
    assert again.content.startswith(b"\x89PNG")


def test_a_browser_asking_for_the_page_gets_the_whole_stack(client, issue):
    url = _urls(issue())["assertion"]
    client.get(url, **LD)
    page = client.get(url, **HTML)
    assert not _lean(page)
    assert page["Content-Type"].startswith("text/html")


def test_a_revocation_shows_on_the_very_next_request_in_every_document(client, issue, tenant_a,
                                                                       django_capture_on_commit_callbacks):
    a = issue()
    urls = _urls(a)
    for url in urls.values():  # all cached, lean
        client.get(url, **LD)
        assert _lean(client.get(url, **LD))
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Issued in error")
    assert client.get(urls["assertion"], **LD).status_code == 410
    assert client.get(urls["image"]).status_code == 404
    revoked = client.get(urls["revocations"], **LD).json()["revokedAssertions"]
    assert [r["revocationReason"] for r in revoked] == ["Issued in error"]
    again = client.get(urls["assertion"], **LD)  # the 410 is cached too, and served lean once the hold ends
    assert again.status_code == 410


def test_badge_and_issuer_edits_show_on_the_very_next_request(client, issue, tenant_a, issuer_a, badges,
                                                               django_capture_on_commit_callbacks):
    urls = _urls(issue())
    for url in urls.values():
        client.get(url, **LD)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        issuer_update(issuer=issuer_a, name="College A Building School")
        badge_class_update(badge_class=badges["png"], tags=["masonry-level-2"])
    assert client.get(urls["issuer"], **LD).json()["name"] == "College A Building School"
    assert "masonry-level-2" in client.get(urls["badge"], **LD).json()["tags"]


def test_an_unknown_document_goes_to_the_view_and_is_404(client, db):
    response = client.get("/public/badges/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11", **LD)
    assert response.status_code == 404
    assert not _lean(response)


def test_open_badges_3_documents_come_from_the_lean_path_and_a_revocation_shows_next(
        client, tenant_a, badge_a, alice, django_assert_num_queries):
    from credentials.statuslist import decode, is_set
    from tests.support import issue_to_learner

    award = issue_to_learner(tenant_a, badge_a)
    credential_url = f"/public/credentials/{award.public_id}"
    credential = client.get(credential_url).json()
    status = credential["credentialStatus"]
    list_url = "/public/" + status["statusListCredential"].split("/public/", 1)[1]
    urls = [credential_url, f"{credential_url}/jwt", list_url,
            f"/public/issuers/{badge_a.issuer.public_id}/credential-revocations"]
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200, url
        with django_assert_num_queries(0):
            again = client.get(url)
        assert _lean(again), url
        assert (again.content, again["ETag"], again["Content-Type"]) == (first.content, first["ETag"],
                                                                         first["Content-Type"])
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Awarded in error", actor=alice)
    listed = client.get(list_url).json()
    assert is_set(decode(listed["credentialSubject"]["encodedList"]), int(status["statusListIndex"]))
    assert client.get(urls[3]).json()["revokedCredentials"][0]["revocationReason"] == "Awarded in error"
