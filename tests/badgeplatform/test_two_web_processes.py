"""Two web processes serve the same site, as gunicorn's workers or replicas behind a proxy do: what one
learns (a revocation, a failed login, a verification) the other knows on the next request, because
both use the shared cache (Redis, or the embedded file-based cache), never per-process memory."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from django.core.cache import cache
from django.core.files.base import ContentFile

from assertions.services import assertion_revoke
from badges.models import BadgeClass
from issuers.models import Tenant
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, api_key_revoke, tenant_set_status
from tests.support import issue_one, png_bytes
from tests.support.servers import WebServer, wait_for

PASSWORD = "correct-horse-battery-9"  # the shared fixtures' password (tests/conftest.py)
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.production_hashing]


@pytest.fixture(scope="module")
def _web_processes(tmp_path_factory, django_db_setup) -> Iterator[tuple[WebServer, WebServer]]:
    """Started once for the module (a start takes seconds), on the test database (django_db_setup has
    created it); each test gets them with a cleared cache."""
    # One proxy in front (TRUSTED_PROXY_COUNT=1): the client is the last X-Forwarded-For entry.
    # LOG_LEVEL=INFO: Django writes one line per request it answers, which the lean path does not.
    env = {"VERIFY_RATE_LIMIT": "4/day", "TRUSTED_PROXY_COUNT": "1", "LOG_LEVEL": "INFO"}
    log_dir = tmp_path_factory.mktemp("web")
    webs = (WebServer(log_dir=log_dir, env=env), WebServer(log_dir=log_dir, env=env))
    try:
        for web in webs:
            web.start()
        yield webs
    finally:
        for web in webs:
            web.stop()


@pytest.fixture
def two_web_processes(_web_processes) -> Iterator[tuple[WebServer, WebServer]]:
    cache.clear()  # earlier tests' and runs' counts: the servers share this very cache
    yield _web_processes
    cache.clear()


def client_ip() -> str:
    """A fresh documentation address (RFC 5737) per use, so no count from another test applies."""
    return f"203.0.113.{uuid.uuid4().int % 250 + 1}"


def verify(web: WebServer, *, forwarded_for: str) -> int:
    return requests.post(f"{web.url}/api/v1/verify/", json={}, headers={"X-Forwarded-For": forwarded_for},
                         timeout=10).status_code


def test_the_verifier_rate_limit_is_shared_by_both_processes_and_keyed_by_the_proxied_address(two_web_processes):
    a, b = two_web_processes
    ip = client_ip()
    # 4 a day in all: two on each process (400: an empty request still counts), then both refuse.
    assert [verify(web, forwarded_for=ip) for web in (a, b, a, b)] == [400, 400, 400, 400]
    assert verify(a, forwarded_for=ip) == 429
    assert verify(b, forwarded_for=ip) == 429
    # What the client writes before the proxy's entry is ignored: it cannot buy a fresh count.
    assert verify(b, forwarded_for=f"198.51.100.7, {ip}") == 429
    # Every visitor comes from the proxy's REMOTE_ADDR, yet another client is not limited.
    other = client_ip()
    while other == ip:
        other = client_ip()
    assert verify(a, forwarded_for=other) == 400


def login(web: WebServer, email: str, password: str, *, forwarded_for: str) -> requests.Response:
    # One public host name, as behind the proxy (allauth's per-account key includes the site's host).
    session = requests.Session()
    headers = {"X-Forwarded-For": forwarded_for, "Host": "localhost"}
    page = session.get(f"{web.url}/accounts/login/", headers=headers, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(f"{web.url}/accounts/login/", data={"login": email, "password": password,
                                                            "csrfmiddlewaretoken": token},
                        headers={**headers, "Referer": f"{web.url}/accounts/login/"}, allow_redirects=False,
                        timeout=10)


def refused_for_too_many(response: requests.Response) -> bool:
    return response.status_code != 302 and "Too many failed login attempts" in response.text


def test_failed_logins_are_counted_per_account_across_both_processes(two_web_processes, alice, bob):
    a, b = two_web_processes
    attacker = client_ip()
    for web in (a, b, a, b, a):  # 5 failures on alice's account, spread over both processes
        response = login(web, alice.email, "wrong password", forwarded_for=attacker)
        assert response.status_code == 200
        assert not refused_for_too_many(response)
    # Alice's account is now locked for a while, from any address and on either process...
    assert refused_for_too_many(login(b, alice.email, PASSWORD, forwarded_for=client_ip()))
    # ...but the attacker's failures did not lock anyone else out.
    assert login(a, bob.email, PASSWORD, forwarded_for=attacker).status_code == 302


def test_failed_logins_are_counted_per_address_across_both_processes(two_web_processes, bob):
    a, b = two_web_processes
    attacker = client_ip()
    for n in range(10):  # 10 a minute per address, each on a different account
        response = login((a, b)[n % 2], f"nobody{n}@example.org", "wrong password", forwarded_for=attacker)
        assert not refused_for_too_many(response)
    assert refused_for_too_many(login(a, bob.email, PASSWORD, forwarded_for=attacker))
    assert refused_for_too_many(login(b, "nobody-else@example.org", "guess", forwarded_for=attacker))
    neighbour = client_ip()
    while neighbour == attacker:
        neighbour = client_ip()
    assert login(b, bob.email, PASSWORD, forwarded_for=neighbour).status_code == 302


def test_a_revocation_shows_on_the_next_request_to_either_process(two_web_processes, tenant_a, issuer_a, alice):
    a, b = two_web_processes
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Safe Scaffolding", description="Scaffolds.")
        badge.image.save("s.png", ContentFile(png_bytes()), save=False)
        badge.save()
        assertion = issue_one(badge_class=badge, recipient_identity="learner@example.org", notify=False)
    path = f"/public/assertions/{assertion.public_id}?format=json"
    for web in (a, b, a, b):  # both processes have served it (and cached it)
        assert requests.get(web.url + path, timeout=10).status_code == 200
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=assertion, reason="Issued in error", actor=alice)
    for web in (a, b):
        response = requests.get(web.url + path, timeout=10)
        assert response.status_code == 410, web.url
        assert response.json()["revoked"] is True


def test_a_revoked_key_and_a_suspension_show_on_the_next_request_to_either_process(
        two_web_processes, tenant_a, badge_a, alice):
    """Each process remembers the API keys it has checked (issuers.keycache): a change made elsewhere (here,
    in the test's own process) reaches both before their next call."""
    a, b = two_web_processes
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="MIS", actor=alice)
        _, other = api_key_create(tenant=tenant_a, name="LMS", actor=alice)
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/"

    def award(web: WebServer, key: str, n: int) -> int:
        return requests.post(web.url + url, json={"recipient_email": f"learner{n}@example.org", "notify": False},
                             headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code

    for n, web in enumerate((a, b, a, b)):  # both processes have checked both keys
        assert award(web, secret, n) == 201
        assert award(web, other, 10 + n) == 201
    with tenant_scope(tenant_a):
        api_key_revoke(key=tenant_a.api_keys.get(name="MIS"), actor=alice)
    assert [award(web, secret, 20 + n) for n, web in enumerate((a, b))] == [401, 401]
    assert [award(web, other, 30 + n) for n, web in enumerate((a, b))] == [201, 201]
    tenant_set_status(tenant=Tenant.objects.get(pk=tenant_a.pk), status=Tenant.Status.SUSPENDED, actor=alice)
    assert [award(web, other, 40 + n) for n, web in enumerate((a, b))] == [403, 403]


def answered_by_django(web: WebServer) -> int:
    """How many requests this process's Django has answered (its request log lines)."""
    return web.log_path.read_text(errors="replace").count("badgeplatform.requests")


def on_the_wire(response: requests.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers in order (without the date and each request's own id) and body."""
    headers = [(k, v) for k, v in response.raw.headers.items() if k.lower() not in {"date", "x-request-id"}]
    return response.status_code, headers, response.content


def test_public_documents_come_from_the_lean_path_of_both_processes_as_django_answered_them(
        two_web_processes, tenant_a, issuer_a, alice):
    a, b = two_web_processes
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Safe Scaffolding", description="Scaffolds.")
        badge.image.save("s.png", ContentFile(png_bytes()), save=False)
        badge.save()
        award = issue_one(badge_class=badge, recipient_identity="learner@example.org", notify=False)
    ld = {"Accept": "application/ld+json"}
    credential = requests.get(f"{a.url}/public/credentials/{award.public_id}", headers=ld, timeout=10).json()
    status_list = "/public/" + credential["credentialStatus"]["statusListCredential"].split("/public/", 1)[1]
    cache.clear()  # so that Django builds each document below first (a flush drops the processes' copies too)
    paths = [f"/public/assertions/{award.public_id}", f"/public/assertions/{award.public_id}/image",
             f"/public/badges/{badge.public_id}", f"/public/issuers/{issuer_a.public_id}",
             f"/public/issuers/{issuer_a.public_id}/revocations", f"/public/credentials/{award.public_id}",
             f"/public/credentials/{award.public_id}/jwt", status_list,
             f"/public/issuers/{issuer_a.public_id}/credential-revocations",
             f"/public/credentials/{award.public_id}/image", f"/public/issuers/{issuer_a.public_id}/did.json"]
    for path in paths:
        before = answered_by_django(a)
        built = requests.get(a.url + path, headers=ld, timeout=10)
        assert built.status_code == 200, path
        wait_for(lambda before=before: answered_by_django(a) > before, timeout=5,
                 message=f"Django did not build {path}")
        counts = answered_by_django(a), answered_by_django(b)
        for web in (b, a, b):
            assert on_the_wire(requests.get(web.url + path, headers=ld, timeout=10)) == on_the_wire(built), path
        etag = built.headers["ETag"]
        unchanged = requests.get(b.url + path, headers={**ld, "If-None-Match": etag}, timeout=10)
        assert (unchanged.status_code, unchanged.content) == (304, b"")
        time.sleep(0.2)  # a log line written late would show here
        assert (answered_by_django(a), answered_by_django(b)) == counts, f"{path} went through Django"
    fresh = f"/public/assertions/{award.public_id}?format=json"
    with tenant_scope(tenant_a):
        assertion_revoke(assertion=award, reason="Issued in error", actor=alice)
    for web in (a, b):  # the very next request to either process
        assert requests.get(web.url + paths[0], headers=ld, timeout=10).status_code == 410
        assert requests.get(web.url + paths[1], timeout=10).status_code == 404
        revoked = requests.get(web.url + paths[4], headers=ld, timeout=10).json()["revokedAssertions"]
        assert [r["revocationReason"] for r in revoked] == ["Issued in error"]
    assert requests.get(b.url + fresh, timeout=10).json()["revoked"] is True


def test_a_key_rotation_shows_in_the_did_document_on_the_next_request_to_either_process(
        two_web_processes, tenant_a, issuer_a, alice):
    from credentials.keys import credential_key_active, credential_key_rotate
    from issuers.services import signing_key_rotate

    a, b = two_web_processes
    path = f"/public/issuers/{issuer_a.public_id}/did.json"

    def listed(web: WebServer) -> set[str]:
        document = requests.get(web.url + path, timeout=10).json()
        return {m["id"].rsplit("#", 1)[1] for m in document["verificationMethod"]}

    with tenant_scope(tenant_a):
        old = credential_key_active(issuer=issuer_a).public_key_multibase
    for web in (a, b, a, b):  # both processes have served it (and keep a copy)
        assert old in listed(web)
    counts = answered_by_django(a), answered_by_django(b)
    for web in (a, b):
        assert old in listed(web)
    time.sleep(0.2)
    assert (answered_by_django(a), answered_by_django(b)) == counts, "the DID document went through Django"
    with tenant_scope(tenant_a):
        new = credential_key_rotate(issuer=issuer_a, actor=alice).public_key_multibase
    for web in (a, b):  # the very next request to either process
        assert {old, new} <= listed(web), web.url
    with tenant_scope(tenant_a):
        rsa = signing_key_rotate(issuer=issuer_a, actor=alice)
    for web in (b, a):
        assert f"rsa-{rsa.public_id}" in listed(web), web.url
