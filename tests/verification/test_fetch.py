"""Fetching untrusted URLs (SSRF): only http(s), no private/loopback/link-local/metadata addresses
(after DNS, on every redirect), connecting to the checked address, bounded size and redirects."""

from __future__ import annotations

import ipaddress

import pytest

from tests.support.foreign import Server
from verification.fetch import FetchError, address_refusal, fetch
from verification.verifier import verify


@pytest.fixture
def server():
    srv = Server()
    srv.routes["/doc"] = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
    yield srv
    srv.close()


@pytest.fixture
def private_off(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def private_on(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/assertion", "http://192.168.1.10/a", "http://172.16.5.4/a", "http://100.64.0.1/a",
    "http://[fc00::1]/a", "http://0.0.0.0/a",
])
def test_private_addresses_are_refused_before_connecting(private_off, url):
    with pytest.raises(FetchError, match="private|reserved|usable"):
        fetch(url)


def test_loopback_is_refused(private_off, server):
    with pytest.raises(FetchError, match="loopback"):
        fetch(server.url("/doc"))
    with pytest.raises(FetchError, match="loopback"):
        fetch(f"http://[::1]:{server.port}/doc")
    assert server.hosts == []  # never connected


def test_a_dns_name_resolving_to_loopback_is_refused(private_off, server):
    with pytest.raises(FetchError, match="localhost points to a loopback address"):
        fetch(f"http://localhost:{server.port}/doc")
    assert server.hosts == []


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://169.254.10.10/", "http://[fe80::1]/"])
def test_metadata_and_link_local_addresses_are_refused(private_off, url):
    with pytest.raises(FetchError, match="metadata|link-local"):
        fetch(url)


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://[::ffff:169.254.169.254]/"])
def test_metadata_addresses_are_refused_even_when_private_addresses_are_allowed(private_on, url):
    with pytest.raises(FetchError, match="metadata"):
        fetch(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a", "gopher://127.0.0.1:70/",
                                 "javascript:alert(1)", "//example.org/a", "http://user:pw@example.org/"])
def test_non_http_schemes_and_credentials_are_refused(private_on, url):
    with pytest.raises(FetchError):
        fetch(url)


def test_a_redirect_to_a_metadata_address_is_refused(private_on, server):
    server.routes["/go"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    with pytest.raises(FetchError, match="metadata"):
        fetch(server.url("/go"))


def test_a_redirect_to_another_scheme_is_refused(private_on, server):
    server.routes["/go"] = (301, {"Location": "file:///etc/passwd"}, b"")
    with pytest.raises(FetchError, match="http and https"):
        fetch(server.url("/go"))


def test_redirects_are_followed_a_few_times_only(private_on, server):
    server.routes["/a"] = (302, {"Location": "/b"}, b"")
    server.routes["/b"] = (307, {"Location": server.url("/doc")}, b"")
    assert fetch(server.url("/a")).body == b'{"ok": true}'
    server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(FetchError, match="Too many redirects"):
        fetch(server.url("/loop"))


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header(private_on, server):
    assert fetch(f"http://localhost:{server.port}/doc").status == 200
    assert server.hosts == [f"localhost:{server.port}"]


@pytest.mark.parametrize("chunked", [False, True])
def test_responses_over_the_size_limit_are_refused(private_on, server, chunked):
    headers = {"Transfer-Encoding": "chunked"} if chunked else {}
    server.routes["/big"] = (200, headers, b"x" * (2 * 1024 * 1024))
    with pytest.raises(FetchError, match="larger than"):
        fetch(server.url("/big"))


def test_the_verifier_reports_a_refused_fetch_as_not_valid(private_off):
    result = verify(url="http://169.254.169.254/latest/meta-data/")
    assert result.verdict == "invalid"
    assert "metadata" in result.checks[-1].message


def test_address_rules():
    ip = ipaddress.ip_address
    assert address_refusal(ip("93.184.216.34"), allow_private=False) is None
    assert address_refusal(ip("2606:2800:220:1::1"), allow_private=False) is None
    assert address_refusal(ip("127.0.0.1"), allow_private=True) is None
    assert address_refusal(ip("::ffff:127.0.0.1"), allow_private=False) == "a loopback address"
    assert address_refusal(ip("224.0.0.1"), allow_private=True) == "not a usable address"
