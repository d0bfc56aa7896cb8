"""Public JSON documents and baked images are served from their ready cache entries by the WSGI layer in
front of Django (verification.lean, badgeplatform.wsgi), on the real cache (Redis when REDIS_URL is set,
as in CI), with the very status, bytes and headers Django's path gives, and every change still shows on
the very next request. (The same across two gunicorn processes: tests/badgeplatform/test_two_web_processes.py.)"""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import urlsplit

import pytest

from assertions.services import assertion_revoke
from badges.services import badge_class_update
from issuers.scoping import tenant_scope
from issuers.services import issuer_update
from verification.lean import LeanDocuments

LD = {"HTTP_ACCEPT": "application/ld+json"}
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
DJANGO = ("599 Went on to Django", [("Content-Type", "text/plain")], b"the rest of the application")


def _rest(environ: dict, start_response) -> Iterable[bytes]:
    """Stands where Django stands behind the lean layer, so a test sees which of the two answered."""
    start_response(DJANGO[0], DJANGO[1])
    return [DJANGO[2]]


LEAN = LeanDocuments(_rest)


def lean_get(url: str, method: str = "GET", **headers: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through the lean layer as gunicorn would hand it over: (status, headers, body)."""
    parts = urlsplit(url)
    environ = {"REQUEST_METHOD": method, "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
               "wsgi.url_scheme": "http", **headers}
    answer: list = []
    body = b"".join(LEAN(environ, lambda status, headers: answer.extend([status, headers])))
    return int(answer[0].split()[0]), answer[1], body


def went_on(answer: tuple[int, list, bytes]) -> bool:
    return answer[0] == 599


def same_as_django(answer: tuple[int, list[tuple[str, str]], bytes], response) -> None:
    """Status, body and every header, in order (the request id is each request's own)."""
    status, headers, body = answer
    django_headers = list(response.items())
    assert (status, body) == (response.status_code, response.content)
    assert [n for n, _ in headers] == [n for n, _ in django_headers]
    assert [(n, v) for n, v in headers if n != "X-Request-ID"] == [
        (n, v) for n, v in django_headers if n != "X-Request-ID"]


def _urls(a) -> dict[str, str]:
    issuer = a.badge_class.issuer.public_id
    return {"assertion": f"/public/assertions/{a.public_id}", "image": f"/public/assertions/{a.public_id}/image",
            "badge": f"/public/badges/{a.badge_class.public_id}", "issuer": f"/public/issuers/{issuer}",
            "revocations": f"/public/issuers/{issuer}/revocations",
            "credential image": f"/public/credentials/{a.public_id}/image", "did": f"/public/issuers/{issuer}/did.json"}


def test_the_tests_use_a_cache_every_process_shares():
    from django.core.cache import caches
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache if os.environ.get("REDIS_URL") else FileBasedCache)


def test_the_application_gunicorn_serves_has_the_lean_layer_in_front_of_django():
    from badgeplatform import wsgi

    assert isinstance(wsgi.application, LeanDocuments)
    assert wsgi.application.app is wsgi.django_application


@pytest.mark.parametrize(("name", "kind"), [
    ("assertion", "png"), ("image", "png"), ("image", "svg"), ("credential image", "png"), ("credential image", "svg"),
    ("badge", "png"), ("issuer", "png"), ("revocations", "png"), ("did", "png")])
def test_a_document_asked_for_again_comes_from_the_lean_path_as_django_answered_it(client, issue, name, kind):
    url = _urls(issue(kind))[name]
    assert went_on(lean_get(url, HTTP_ACCEPT="application/ld+json"))  # nothing ready yet
    first = client.get(url, **LD)  # built by the view, through the whole stack, and stored
    assert first.status_code == 200
    again = lean_get(url, HTTP_ACCEPT="application/ld+json")
    same_as_django(again, first)
    headers = dict(again[1])
    assert headers["Cache-Control"] == "public, max-age=0, must-revalidate, s-maxage=10"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in headers


@pytest.mark.parametrize("name", ["assertion", "image", "revocations", "credential image", "did"])
def test_a_matching_etag_gets_the_same_304_on_both_paths(client, issue, name):
    url = _urls(issue())[name]
    etag = client.get(url, **LD)["ETag"]
    conditional = {"HTTP_IF_NONE_MATCH": f'W/{etag}, "other"', **LD}
    unchanged = client.get(url, **conditional)
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    same_as_django(lean_get(url, **conditional), unchanged)


def test_head_has_the_headers_of_get_and_no_body(client, issue):
    url = _urls(issue())["assertion"]
    full = client.get(url, **LD)
    status, headers, body = lean_get(url, "HEAD", **LD)
    assert (status, body) == (200, b"")
    assert dict(headers)["Content-Length"] == str(len(full.content))


def test_a_baked_image_from_the_lean_path_keeps_its_sandbox_headers(client, issue):
    url = _urls(issue())["image"]
    client.get(url)
    status, headers, body = lean_get(url)
    named = dict(headers)
    assert status == 200
    assert named["Content-Type"] == "image/png"
    assert named["X-Content-Type-Options"] == "nosniff"
    assert [n for n, _ in headers].count("X-Content-Type-Options") == 1
    assert "sandbox" in named["Content-Security-Policy"]
    assert body.startswith(b"\x89PNG")


def test_a_browser_asking_for_the_page_goes_on_to_django(client, issue):
    url = _urls(issue())["assertion"]
    client.get(url, **LD)
    assert went_on(lean_get(url, **HTML))
    assert not went_on(lean_get(url + "?format=json", **HTML))  # the JSON asked for by name
    page = client.get(url, **HTML)
    assert page["Content-Type"].startswith("text/html")


def test_a_host_django_would_refuse_goes_on_to_django_to_be_refused(client, issue):
    url = _urls(issue())["assertion"]
    client.get(url, **LD)
    assert went_on(lean_get(url, HTTP_HOST="evil.example", **LD))
    assert client.get(url, HTTP_HOST="evil.example", **LD).status_code == 400


def test_writes_and_other_paths_go_on_to_django(client, issue):
    urls = _urls(issue())
    client.get(urls["assertion"], **LD)
    assert went_on(lean_get(urls["assertion"], "POST", **LD))
    assert went_on(lean_get(urls["assertion"] + "/", **LD))
    assert went_on(lean_get(urls["badge"] + "/image", **LD))  # a badge class's image: read from storage


def test_a_revocation_shows_on_the_very_next_request_in_every_document(client, issue, tenant_a,
                                                                       django_capture_on_commit_callbacks):
    a = issue()
    urls = _urls(a)
    for url in urls.values():  # all built and stored, then lean
        client.get(url, **LD)
        assert lean_get(url, **LD)[0] == 200
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        assertion_revoke(assertion=a, reason="Issued in error")
    for name in ("assertion", "image", "revocations", "credential image"):  # held: the view builds them anew
        assert went_on(lean_get(urls[name], **LD)), name
    for name in ("badge", "did"):  # what the revocation did not change stays lean
        assert lean_get(urls[name], **LD)[0] == 200, name
    assert client.get(urls["assertion"], **LD).status_code == 410
    assert client.get(urls["image"]).status_code == 404
    assert client.get(urls["credential image"]).status_code == 404
    revoked = client.get(urls["revocations"], **LD).json()["revokedAssertions"]
    assert [r["revocationReason"] for r in revoked] == ["Issued in error"]


def test_the_hold_marker_is_seen_before_the_change_commits(client, issue, tenant_a):
    a = issue()
    url = _urls(a)["assertion"]
    client.get(url, **LD)
    assert lean_get(url, **LD)[0] == 200
    with tenant_scope(tenant_a):  # the test's transaction never commits: the first hold alone must do
        assertion_revoke(assertion=a, reason="Issued in error")
    assert went_on(lean_get(url, **LD))


def test_badge_and_issuer_edits_show_on_the_very_next_request(client, issue, tenant_a, issuer_a, badges,
                                                               django_capture_on_commit_callbacks):
    urls = _urls(issue())
    for url in urls.values():
        client.get(url, **LD)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        issuer_update(issuer=issuer_a, name="College A Building School")
        badge_class_update(badge_class=badges["png"], tags=["masonry-level-2"])
    assert went_on(lean_get(urls["issuer"], **LD))
    assert went_on(lean_get(urls["badge"], **LD))
    assert client.get(urls["issuer"], **LD).json()["name"] == "College A Building School"
    assert "masonry-level-2" in client.get(urls["badge"], **LD).json()["tags"]


def test_an_unknown_document_goes_to_the_view_and_is_404(client, db):
    url = "/public/badges/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11"
    assert went_on(lean_get(url, **LD))
    assert client.get(url, **LD).status_code == 404
    assert went_on(lean_get(url, **LD))  # a 404 is not stored


def test_open_badges_3_documents_come_from_the_lean_path_and_a_revocation_shows_next(client, tenant_a, badge_a,
                                                                                      alice):
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
        same_as_django(lean_get(url), first)
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Awarded in error", actor=alice)
    assert went_on(lean_get(list_url))
    assert went_on(lean_get(urls[3]))
    listed = client.get(list_url).json()
    assert is_set(decode(listed["credentialSubject"]["encodedList"]), int(status["statusListIndex"]))
    assert client.get(urls[3]).json()["revokedCredentials"][0]["revocationReason"] == "Awarded in error"


def test_the_copies_a_process_keeps_are_dropped_when_the_cache_is_flushed(client, issue):
    from django.core.cache import cache

    url = _urls(issue())["badge"]
    client.get(url, **LD)
    assert lean_get(url, **LD)[0] == 200
    cache.clear()
    assert went_on(lean_get(url, **LD))


def _listed_keys(did: dict) -> set[str]:
    return {m["id"].rsplit("#", 1)[1] for m in did["verificationMethod"]}


def test_a_new_key_shows_on_the_very_next_request_in_the_did_document_profile_and_status_list(
        client, issue, tenant_a, issuer_a, alice, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from credentials.keys import credential_key_active, credential_key_rotate
    from issuers.services import signing_key_rotate

    urls = _urls(issue())
    status_list = f"/public/issuers/{issuer_a.public_id}/status/0"
    ready = (urls["did"], urls["issuer"], status_list)
    for url in ready:
        client.get(url, **LD)
        assert lean_get(url, **LD)[0] == 200, url
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        ed25519 = credential_key_rotate(issuer=issuer_a, actor=alice)
    for url in ready:
        assert went_on(lean_get(url, **LD)), url
    assert ed25519.public_key_multibase in _listed_keys(client.get(urls["did"]).json())
    signed_by = client.get(status_list).json()["proof"][0]["verificationMethod"]
    assert signed_by.endswith("#" + ed25519.public_key_multibase)  # a retired key never signs again
    cache.clear()  # the hold markers, which keep the next builds out of the cache for a few seconds
    for url in ready:
        client.get(url, **LD)
        assert lean_get(url, **LD)[0] == 200, url
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant_a):
        rsa = signing_key_rotate(issuer=issuer_a, actor=alice)
        assert credential_key_active(issuer=issuer_a) == ed25519
    assert went_on(lean_get(urls["did"], **LD))
    assert went_on(lean_get(urls["issuer"], **LD))
    assert f"rsa-{rsa.public_id}" in _listed_keys(client.get(urls["did"]).json())
    assert f"/public/keys/{rsa.public_id}" in " ".join(client.get(urls["issuer"], **LD).json()["publicKey"])


def test_an_endorsers_did_document_comes_from_the_lean_path_until_its_account_is_deleted(
        client, tenant_a, badge_a, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from backpack.services import learner_delete
    from tests.support import endorse

    endorser = endorse(tenant_a, badge_a).endorser
    cache.clear()  # the hold the endorsement wrote on its badge's documents
    url, badge = f"/public/endorsers/{endorser.public_id}/did.json", f"/public/badges/{badge_a.public_id}"
    first = client.get(url)
    assert (first.status_code, first["Content-Type"]) == (200, "application/did+json")
    same_as_django(lean_get(url), first)
    assert went_on(lean_get(f"/public/endorsers/{endorser.public_id}"))  # its profile: not a cached document
    assert client.get(badge, **LD).json()["endorsement"]
    assert lean_get(badge, **LD)[0] == 200
    with django_capture_on_commit_callbacks(execute=True):
        learner_delete(user=endorser.owner)  # its profile, key and endorsements go with it
    assert went_on(lean_get(url))
    assert went_on(lean_get(badge, **LD))
    assert client.get(url).status_code == 404
    assert "endorsement" not in client.get(badge, **LD).json()
