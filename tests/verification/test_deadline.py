"""The verifier's hard deadlines and its bound on concurrent foreign verifications, against real
socket servers on loopback that trickle a byte a second (``foreign.Trickler``)."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.support.foreign import ForeignIssuer, Server, Trickler
from verification.fetch import FetchError, fetch
from verification.verifier import foreign_slots, verify


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True
    settings.VERIFY_RATE_LIMIT = "1000/minute"
    settings.VERIFY_FETCH_SECONDS = 2
    settings.VERIFY_TOTAL_SECONDS = 3


@pytest.fixture
def trickler():
    made: list[Trickler] = []

    def _make(mode: str) -> Trickler:
        made.append(Trickler(mode))
        return made[-1]

    yield _make
    for t in made:
        t.close()


def timed(call):
    started = time.monotonic()
    try:
        return call(), time.monotonic() - started
    except FetchError as exc:
        return exc, time.monotonic() - started


@pytest.mark.parametrize(("mode", "scheme"), [("headers", "http"), ("body", "http"), ("silent", "http"),
                                              ("tls", "https")])
def test_a_trickling_server_is_cut_off_at_the_document_deadline(trickler, mode, scheme):
    server = trickler(mode)
    outcome, seconds = timed(lambda: fetch(server.url(scheme=scheme)))
    assert isinstance(outcome, FetchError)
    assert str(outcome) == "127.0.0.1 did not send the document within 2 seconds."
    assert 1.9 <= seconds < 3.0


def test_the_verification_of_a_trickled_badge_ends_by_the_deadline_with_the_reason(trickler):
    server = trickler("body")
    started = time.monotonic()
    result = verify(url=server.url())
    assert time.monotonic() - started < 3.0
    assert result.verdict == "invalid"
    assert result.checks[-1].message == (f"The assertion could not be fetched from {server.url()}: "
                                         "127.0.0.1 did not send the document within 2 seconds.")


def test_documents_each_in_time_still_end_by_the_verification_deadline(db):
    server = Server()
    try:
        northgate = ForeignIssuer(server)
        doc = northgate.assertion("1")
        for path in ("/assertions/1", "/badge", "/issuer"):
            server.delays[path] = 1.2  # each within the 2 s per document; 3.6 s together
        started = time.monotonic()
        result = verify(url=doc["id"])
        seconds = time.monotonic() - started
    finally:
        server.close()
    assert seconds < 3.6
    assert result.verdict == "invalid"
    assert result.checks[-1].message == (f"The issuer could not be fetched from {northgate.issuer_url}: "
                                         "The verification took longer than its limit of 3 seconds.")


def test_a_slow_server_within_the_deadlines_is_verified(db):
    server = Server()
    try:
        northgate = ForeignIssuer(server)
        doc = northgate.assertion("1")
        server.delays["/assertions/1"] = 0.5
        assert verify(url=doc["id"]).verdict == "valid"
    finally:
        server.close()


@pytest.mark.django_db(transaction=True)
def test_over_the_bound_a_verification_is_busy_and_the_site_keeps_answering(live_server, settings, trickler):
    settings.VERIFY_MAX_CONCURRENT = 2
    settings.VERIFY_FETCH_SECONDS, settings.VERIFY_TOTAL_SECONDS = 3, 4
    server = trickler("headers")
    api = f"{live_server.url}/api/v1/verify/"
    body = json.dumps({"url": server.url()})
    answers: list[requests.Response] = []

    def verify_slowly() -> None:
        answers.append(requests.post(api, data=body, headers={"Content-Type": "application/json"}, timeout=20))

    started = time.monotonic()
    slow = [threading.Thread(target=verify_slowly) for _ in range(2)]
    for thread in slow:
        thread.start()
    while server.accepted < 2 and time.monotonic() - started < 3:
        time.sleep(0.05)
    assert server.accepted == 2
    assert foreign_slots.active == 2

    busy, busy_seconds = timed(lambda: requests.post(api, data=body, headers={"Content-Type": "application/json"},
                                                     timeout=20))
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "4"
    assert busy.json() == {"detail": "The verifier is busy checking other badges; please try again in a few "
                                     "seconds."}
    page = requests.get(f"{live_server.url}/verify/", params={"url": server.url()}, timeout=20)  # a QR code
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "4"
    assert "The verifier is busy checking other badges" in page.text
    login, login_seconds = timed(lambda: requests.get(f"{live_server.url}/accounts/login/", timeout=20))
    assert login.status_code == 200
    assert busy_seconds < 1.5
    assert login_seconds < 1.5
    assert server.accepted == 2  # neither refusal went out to the slow server

    for thread in slow:
        thread.join(timeout=10)
    assert time.monotonic() - started < 5
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.json()["checks"][-1]["message"].endswith("127.0.0.1 did not send the document within 3 seconds.")
               for a in answers)
    assert foreign_slots.active == 0
    after = requests.post(api, data=json.dumps({"url": "https://badges.invalid/public/assertions/x"}),
                          headers={"Content-Type": "application/json"}, timeout=20)
    assert after.status_code in (200, 400)  # a slot is free again
