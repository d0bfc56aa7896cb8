"""The client address comes from one configured place; what a client writes itself is never trusted."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory

from accounts.network import client_address


def request(remote: str = "10.0.0.2", **headers: str):
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_without_a_proxy_setting_a_clients_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_CLIENT_IP_HEADER = 0, ""
    assert client_address(request("192.0.2.9", x_forwarded_for="203.0.113.1")) == "192.0.2.9"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client's own entry is before the proxy's
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.2"),  # fewer hops than proxies: it did not come through them
        (1, "not-an-address", "10.0.0.2"),
        (1, "[2001:db8::7]:4711", "2001:db8::7"),
        (1, "203.0.113.5:4711", "203.0.113.5"),
    ],
)
def test_behind_proxies_the_address_is_the_one_our_outermost_proxy_appended(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_CLIENT_IP_HEADER = count, ""
    assert client_address(request(x_forwarded_for=forwarded)) == expected


def test_a_trusted_client_ip_header_wins_over_x_forwarded_for(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_CLIENT_IP_HEADER = 1, "X-Real-IP"
    assert client_address(request(x_real_ip="203.0.113.8", x_forwarded_for="6.6.6.6")) == "203.0.113.8"
    assert client_address(request(x_forwarded_for="6.6.6.6")) == "10.0.0.2"


def test_login_throttling_uses_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_CLIENT_IP_HEADER = 1, ""
    assert get_adapter().get_client_ip(request(x_forwarded_for="6.6.6.6, 203.0.113.5")) == "203.0.113.5"
