"""Fetch an untrusted URL without letting it reach inside our network (SSRF).

* only ``http`` and ``https``;
* the host name is resolved here, every address it resolves to is checked (private, loopback,
  link-local, multicast, reserved and cloud-metadata addresses are refused), and the connection is
  made to the address that was checked, so a second DNS answer cannot swap it (``Host`` header and
  TLS SNI/certificate checks still use the name);
* every redirect is checked the same way, and there are few of them;
* short timeouts and a response size limit.

``settings.VERIFY_ALLOW_PRIVATE_ADDRESSES`` allows private and loopback addresses for tests and
closed deployments. Cloud-metadata addresses are refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
TOTAL_DEADLINE = 10.0
USER_AGENT = "BadgePlatform-Verifier/1.0 (+Open Badges 2.0)"
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """The URL could not be fetched safely; the message can be shown to the user."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes


def address_refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` may not be contacted, or None when it may."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_unspecified or ip.is_multicast:
        return "not a usable address"
    if allow_private:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private or reserved address"
    return None


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """Resolve ``host`` and return one address to connect to, after checking *all* of them."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"The address {host} could not be found.") from exc
        # SOCK_STREAM addresses of IPv4/IPv6: the host part is a str.
        addresses = [ipaddress.ip_address(cast(str, info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise FetchError(f"The address {host} could not be found.")
    for ip in addresses:
        refusal = address_refusal(ip, allow_private=allow_private)
        if refusal is not None:
            raise FetchError(f"{host} points to {refusal}; the verifier does not fetch from there.")
    return str(addresses[0])


def _check_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError("Only http and https links can be verified.")
    if not parts.hostname:
        raise FetchError("The link has no host name.")
    if parts.username or parts.password:
        raise FetchError("Links with a user name or password are not fetched.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError("The link has an invalid port.") from exc
    return parts.scheme, parts.hostname, port


def _request_once(url: str, *, accept: str, max_bytes: int, deadline: float) -> tuple[int, dict, bytes]:
    scheme, host, port = _check_url(url)
    ip = resolve(host, port, allow_private=settings.VERIFY_ALLOW_PRIVATE_ADDRESSES)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError("Fetching took too long.")
    timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT, remaining), read=min(READ_TIMEOUT, remaining))
    host_header = host if port in (80, 443) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
    kwargs: dict = {"timeout": timeout, "retries": False, "maxsize": 1}
    if scheme == "https":
        # Connect to the checked IP; SNI and the certificate check still use the host name.
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            ip, port, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED", **kwargs)
    else:
        pool = urllib3.HTTPConnectionPool(ip, port, **kwargs)
    split = urlsplit(url)
    target = (split.path or "/") + (f"?{split.query}" if split.query else "")
    headers = {"Host": host_header, "Accept": accept, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    try:
        response = pool.urlopen("GET", target, headers=headers, redirect=False, preload_content=False,
                                assert_same_host=False)
        try:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"The document is larger than the {max_bytes // 1024} KB the verifier accepts.")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.stream(16384, decode_content=False):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"The document is larger than the {max_bytes // 1024} KB the verifier accepts.")
                if time.monotonic() > deadline:
                    raise FetchError("Fetching took too long.")
                chunks.append(chunk)
            return response.status, dict(response.headers), b"".join(chunks)
        finally:
            response.release_conn()
    except urllib3.exceptions.SSLError as exc:
        raise FetchError(f"The secure connection to {host} could not be verified.") from exc
    except urllib3.exceptions.TimeoutError as exc:
        raise FetchError(f"{host} did not answer in time.") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchError(f"{host} could not be reached.") from exc
    finally:
        pool.close()


def fetch(url: str, *, accept: str = "application/ld+json, application/json;q=0.9",
          max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """GET ``url`` safely (see the module docstring). Raises FetchError with a user-facing message."""
    deadline = time.monotonic() + TOTAL_DEADLINE
    for _ in range(max_redirects + 1):
        status, headers, body = _request_once(url, accept=accept, max_bytes=max_bytes, deadline=deadline)
        lowered = {k.lower(): v for k, v in headers.items()}
        if status in {301, 302, 303, 307, 308}:
            location = lowered.get("location")
            if not location:
                raise FetchError("The server sent a redirect without a location.")
            url = urljoin(url, location)  # checked again by the next _request_once
            continue
        return Fetched(url=url, status=status, content_type=lowered.get("content-type", ""), body=body)
    raise FetchError(f"Too many redirects (more than {max_redirects}).")
