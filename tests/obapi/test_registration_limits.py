"""Open client registration (RFC 7591) is limited per client address, counted in the shared cache, and a
registration that never got a learner's token is deleted after a day by the daily beat task (one that
had a token is kept after its connections end: the platform keeps its client id)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from obapi import services
from obapi.tasks import tokens_expired_clear
from tests.support.obapi import PREFIX, connect, register, registration
from verification import ratelimit

URL = f"{PREFIX}/oauth/register"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The counts live in the shared cache for an hour, longer than a test run: start each test at zero."""
    cache.clear()
    yield
    cache.clear()


def _register(client, **meta):  # noqa: ANN001, ANN202 - Django's test client
    return client.post(URL, json.dumps(registration()), content_type="application/json", **meta)


def test_registrations_over_the_limit_answer_429_in_imsx_status_info(client, db, settings, monkeypatch):
    settings.OBAPI_REGISTER_RATE_LIMIT = "3/hour"
    # A fixed window: hold the clock inside one; and addresses no other test uses (the cache outlives a test).
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)
    first = {"REMOTE_ADDR": "198.51.100.71"}
    assert [_register(client, **first).status_code for _ in range(3)] == [201, 201, 201]
    limited = _register(client, **first)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 3601
    body = limited.json()
    assert (body["imsx_codeMajor"], body["imsx_severity"]) == ("failure", "error")
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "server_busy"
    assert "Too many client registrations" in body["imsx_description"]
    # A bad request counts too (it is still an attempt), and makes no client.
    count = Application.objects.count()
    assert client.post(URL, "not json", content_type="application/json", **first).status_code == 429
    assert Application.objects.count() == count
    # Another address has its own budget.
    assert _register(client, REMOTE_ADDR="198.51.100.72").status_code == 201


def test_behind_a_proxy_the_forwarded_address_is_counted_not_the_proxys(client, db, settings, monkeypatch):
    settings.OBAPI_REGISTER_RATE_LIMIT = "2/hour"
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)
    proxy = "10.9.8.7"
    one = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.81"}
    two = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.82"}
    assert [_register(client, **one).status_code for _ in range(2)] == [201, 201]
    assert _register(client, **one).status_code == 429
    assert _register(client, **two).status_code == 201  # the same proxy, another client: not limited
    # A client's own X-Forwarded-For entries are ignored: prepending a fresh one does not reset its count.
    spoofed = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "192.0.2.200, 203.0.113.81"}
    assert _register(client, **spoofed).status_code == 429


def test_a_registration_that_never_got_a_token_goes_after_a_day(client, learner):
    abandoned = register(client)
    fresh = register(client)
    used = connect(client, learner)
    ended = connect(client, learner)  # connected once; the learner then disconnected it: no token left
    services.platform_disconnect(user=learner, application=Application.objects.get(client_id=ended.client_id))
    day_old = timezone.now() - timedelta(days=1, minutes=1)
    Application.objects.filter(client_id__in=[abandoned["client_id"], used.client_id, ended.client_id]).update(
        created=day_old)
    # Each holds its registration's own management token; that is not a learner's token.
    assert AccessToken.objects.filter(application__client_id=abandoned["client_id"]).exists()

    tokens_expired_clear()

    kept = set(Application.objects.values_list("client_id", flat=True))
    assert abandoned["client_id"] not in kept
    # Under a day old; a day old with a learner's token; a day old that once had one.
    assert {fresh["client_id"], used.client_id, ended.client_id} <= kept
    assert client.get(f"{PREFIX}/credentials", **used.bearer()).status_code == 200  # the connection still works
