"""Fetch an untrusted URL without letting it reach inside our network (SSRF).

* only ``http`` and ``https``;
* the host name is resolved here, every address it resolves to is checked (private, loopback,
  link-local, multicast, reserved and cloud-metadata addresses are refused), and the connection is
  made to the address that was checked, so a second DNS answer cannot swap it (``Host`` header and
  TLS SNI/certificate checks still use the name);
* every redirect is checked the same way, and there are few of them;
* a hard deadline: each document must arrive, redirects included, within
  ``settings.VERIFY_FETCH_SECONDS``, and every fetch inside :func:`time_limit` (a whole
  verification) ends by that block's deadline too. Socket timeouts alone bound only one read, so a
  server that trickles a byte a second would hold a web worker for ever; here a watchdog shuts the
  socket down at the deadline wherever the request is blocked (TLS handshake, headers, body), and
  name resolution is waited for only until the deadline;
* a response size limit.

``settings.VERIFY_ALLOW_PRIVATE_ADDRESSES`` allows private and loopback addresses for tests and
closed deployments. Cloud-metadata addresses are refused even then.
"""

from __future__ import annotations

import heapq
import http.client
import ipaddress
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
USER_AGENT = "BadgePlatform-Verifier/1.0 (+Open Badges 2.0)"
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """The URL could not be fetched safely; the message can be shown to the user."""


# --- deadlines -------------------------------------------------------------------------------------

# The enclosing time_limit() block: (its deadline as a time.monotonic() value, its length in seconds).
_outer_deadline: ContextVar[tuple[float, float] | None] = ContextVar("fetch_outer_deadline", default=None)
# getaddrinfo cannot be interrupted: it runs in one of these threads and is waited for only until the
# deadline. A lookup that hangs keeps a thread until the resolver gives up, never the request. One
# pool per process: threads do not survive a fork (gunicorn, Celery prefork).
_resolvers: dict[int, ThreadPoolExecutor] = {}
_resolvers_lock = threading.Lock()


def _resolver() -> ThreadPoolExecutor:
    with _resolvers_lock:
        pool = _resolvers.get(os.getpid())
        if pool is None:
            _resolvers.clear()
            pool = _resolvers[os.getpid()] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch-dns")
        return pool


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Every fetch inside the block ends by ``seconds`` from now, all together (one verification)."""
    deadline = time.monotonic() + seconds
    outer = _outer_deadline.get()
    token = _outer_deadline.set((deadline, seconds) if outer is None or deadline < outer[0] else outer)
    try:
        yield
    finally:
        _outer_deadline.reset(token)


@dataclass(frozen=True)
class _Deadline:
    at: float  # time.monotonic()
    message: str  # why fetching stopped, when it is reached

    @classmethod
    def for_document(cls, host: str, seconds: float | None = None) -> _Deadline:
        what = "send the document" if seconds is None else "answer"
        seconds = settings.VERIFY_FETCH_SECONDS if seconds is None else seconds
        own = cls(time.monotonic() + seconds, f"{host} did not {what} within {seconds:g} seconds.")
        outer = _outer_deadline.get()
        if outer is not None and outer[0] < own.at:
            return cls(outer[0], f"The verification took longer than its limit of {outer[1]:g} seconds.")
        return own

    def passed(self) -> bool:
        return time.monotonic() >= self.at - 0.05  # socket timeouts set to the time left end a little early

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise FetchError(self.message)
        return left


class _Alarms:
    """One thread per process that fires every watchdog whose deadline passed: a thread started per request
    cost more CPU than the request itself when a sender posts hundreds of deliveries in a row (webhooks)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Watchdog, int]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        threading.Thread(target=self._run, name="fetch-watchdog", daemon=True).start()

    def add(self, at: float, watchdog: _Watchdog, generation: int = 0) -> None:
        with self._wake:
            heapq.heappush(self._due, (at, next(self._seq), watchdog, generation))
            if self._due[0][2] is watchdog:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][2].stale(self._due[0][3]) or self._due[0][0] > time.monotonic():
                    if self._due and self._due[0][2].stale(self._due[0][3]):
                        heapq.heappop(self._due)
                        continue
                    self._wake.wait(None if not self._due else self._due[0][0] - time.monotonic())
                _, _, watchdog, generation = heapq.heappop(self._due)
            watchdog._fire(generation)


_alarm_threads: dict[int, _Alarms] = {}


def _alarms() -> _Alarms:
    with _resolvers_lock:  # one per process, like the resolver pool: threads do not survive a fork
        alarms = _alarm_threads.get(os.getpid())
        if alarms is None:
            _alarm_threads.clear()
            alarms = _alarm_threads[os.getpid()] = _Alarms()
        return alarms


class _Watchdog:
    """Shuts down the sockets of one request when its deadline passes, so that a blocked read (in
    the TLS handshake, the headers or the body) returns at once however slowly the server trickles.

    It keeps a duplicate of each socket: shutting down a duplicate shuts the connection, and the
    duplicate stays open until :meth:`close`, so its descriptor can never be reused by someone else's
    socket in the meantime (TLS wrapping detaches the original socket object, too)."""

    def __init__(self, deadline: _Deadline) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self.cancelled = False
        self.generation = 0  # of the deadline armed now: a kept-alive connection is armed again per request
        self.only_latest = False  # a kept-alive connection's watchdog: a new socket replaces the old one
        _alarms().add(deadline.at, self)

    def stale(self, generation: int) -> bool:
        return self.cancelled or generation != self.generation

    def rearm(self, deadline: _Deadline) -> None:
        """The deadline of the next request on the same connection (the last one's no longer fires)."""
        with self._lock:
            self.generation += 1
            generation = self.generation
        _alarms().add(deadline.at, self, generation)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.fired:
                sock.close()
                raise TimeoutError("deadline passed while connecting")
            if self.only_latest:  # the previous connection was dropped before this one was made
                for old in self._sockets:
                    old.close()
                self._sockets.clear()
            self._sockets.append(sock.dup())

    def _fire(self, generation: int = 0) -> None:
        with self._lock:
            if self.stale(generation):
                return
            self.fired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the other side

    def close(self) -> None:
        self.cancelled = True  # its alarm is dropped when it comes due
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self.watchdog.watch(sock)
        return sock


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog

    def _new_conn(self) -> socket.socket:  # before the TLS handshake, which the watchdog also bounds
        sock = super()._new_conn()
        self.watchdog.watch(sock)
        return sock


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


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


def resolve(host: str, port: int, *, allow_private: bool, deadline: _Deadline | None = None) -> str:
    """Resolve ``host`` and return one address to connect to, after checking *all* of them."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            lookup = _resolver().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
            infos = lookup.result(timeout=deadline.remaining() if deadline is not None else None)
        except FutureTimeout as exc:
            assert deadline is not None  # no timeout without a deadline
            raise FetchError(deadline.message) from exc
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


def _host_header(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        return f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
    return host if port in (80, 443) else f"{host}:{port}"


def _pool(scheme: str, host: str, ip: str, port: int, timeout: urllib3.Timeout,
          watchdog: _Watchdog) -> urllib3.HTTPConnectionPool:
    kwargs: dict = {"timeout": timeout, "retries": False, "maxsize": 1, "watchdog": watchdog}
    if scheme == "https":
        # Connect to the checked IP; SNI and the certificate check still use the host name.
        return _HTTPSPool(ip, port, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED", **kwargs)
    return _HTTPPool(ip, port, **kwargs)


def _exchange_on(pool: urllib3.HTTPConnectionPool, watchdog: _Watchdog, deadline: _Deadline, *, host: str, url: str,
                 method: str, body: bytes | None, sent: dict[str, str], max_bytes: int,
                 timeout: urllib3.Timeout) -> tuple[int, dict, bytes]:
    split = urlsplit(url)
    target = (split.path or "/") + (f"?{split.query}" if split.query else "")
    try:
        response = pool.urlopen(method, target, body=body, headers=sent, redirect=False, preload_content=False,
                                assert_same_host=False, timeout=timeout)
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
                chunks.append(chunk)
            deadline.remaining()  # a body cut short by the watchdog is not a document
            return response.status, dict(response.headers), b"".join(chunks)
        finally:
            response.release_conn()
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
        if watchdog.fired or deadline.passed():  # broken by the watchdog, or a timeout cut to the deadline
            raise FetchError(deadline.message) from exc
        if isinstance(exc, urllib3.exceptions.SSLError):
            raise FetchError(f"The secure connection to {host} could not be verified.") from exc
        if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError too, in urllib3 2
            raise FetchError(f"{host} could not be reached (connection refused or no route).") from exc
        if isinstance(exc, urllib3.exceptions.TimeoutError):
            raise FetchError(f"{host} did not answer in time.") from exc
        raise FetchError(f"{host} could not be reached.") from exc


def _request_once(url: str, *, accept: str, max_bytes: int, deadline: _Deadline, method: str = "GET",
                  body: bytes | None = None, headers: dict[str, str] | None = None,
                  allow_private: bool | None = None) -> tuple[int, dict, bytes]:
    scheme, host, port = _check_url(url)
    if allow_private is None:
        allow_private = settings.VERIFY_ALLOW_PRIVATE_ADDRESSES
    ip = resolve(host, port, allow_private=allow_private, deadline=deadline)
    remaining = deadline.remaining()
    timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT, remaining), read=min(READ_TIMEOUT, remaining))
    host_header = _host_header(host, port)
    watchdog = _Watchdog(deadline)
    pool = _pool(scheme, host, ip, port, timeout, watchdog)
    sent = {"Host": host_header, "Accept": accept, "User-Agent": USER_AGENT, "Accept-Encoding": "identity",
            **(headers or {})}
    try:
        return _exchange_on(pool, watchdog, deadline, host=host, url=url, method=method, body=body, sent=sent,
                            max_bytes=max_bytes, timeout=timeout)
    finally:
        pool.close()
        watchdog.close()


def fetch(url: str, *, accept: str = "application/ld+json, application/json;q=0.9",
          max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """GET ``url`` safely (see the module docstring). Raises FetchError with a user-facing message."""
    deadline = _Deadline.for_document(urlsplit(url).hostname or "The server")
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


def post(url: str, *, body: bytes, headers: dict[str, str], allow_private: bool, seconds: float,
         max_bytes: int = 64 * 1024) -> Fetched:
    """POST ``body`` to ``url`` under the same rules as :func:`fetch` (checked addresses, a hard deadline of
    ``seconds`` for everything, a cap on the answer read) for a sender other than the verifier: webhooks.
    Redirects are not followed: the answer, whatever it is, is returned. Raises FetchError."""
    deadline = _Deadline.for_document(urlsplit(url).hostname or "The server", seconds)
    status, answer_headers, answer = _request_once(
        url, accept="*/*", max_bytes=max_bytes, deadline=deadline, method="POST", body=body, headers=headers,
        allow_private=allow_private)
    lowered = {k.lower(): v for k, v in answer_headers.items()}
    return Fetched(url=url, status=status, content_type=lowered.get("content-type", ""), body=answer)


class Poster:
    """POSTs to one URL many times over one kept-alive connection (webhooks: a claimed batch of one endpoint's
    deliveries), under the rules of :func:`post`: the address is checked when a connection is opened and only
    that checked address is connected to, every request has its own hard deadline of ``seconds`` (the same
    watchdog, armed again per request), redirects are not followed. A context manager; closed, it closes the
    connection."""

    def __init__(self, url: str, *, allow_private: bool, seconds: float, max_bytes: int = 64 * 1024) -> None:
        self.url, self.allow_private, self.seconds, self.max_bytes = url, allow_private, seconds, max_bytes
        self.scheme, self.host, self.port = _check_url(url)
        self._pool: urllib3.HTTPConnectionPool | None = None
        self._watchdog: _Watchdog | None = None

    def __enter__(self) -> Poster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._watchdog is not None:
            self._watchdog.close()
            self._watchdog = None

    def post(self, *, body: bytes, headers: dict[str, str]) -> Fetched:
        """One POST; raises FetchError like :func:`post`."""
        deadline = _Deadline.for_document(self.host, self.seconds)
        if self._pool is None or self._watchdog is None or self._watchdog.fired:
            self.close()  # a connection cut at its deadline is not used again
            ip = resolve(self.host, self.port, allow_private=self.allow_private, deadline=deadline)
            self._watchdog = _Watchdog(deadline)
            self._watchdog.only_latest = True
            self._pool = _pool(self.scheme, self.host, ip, self.port, urllib3.Timeout(CONNECT_TIMEOUT, READ_TIMEOUT),
                               self._watchdog)
        else:
            self._watchdog.rearm(deadline)
        remaining = deadline.remaining()
        timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT, remaining), read=min(READ_TIMEOUT, remaining))
        sent = {"Host": _host_header(self.host, self.port), "Accept": "*/*", "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity", **headers}
        status, answer_headers, answer = _exchange_on(
            self._pool, self._watchdog, deadline, host=self.host, url=self.url, method="POST", body=body, sent=sent,
            max_bytes=self.max_bytes, timeout=timeout)
        lowered = {k.lower(): v for k, v in answer_headers.items()}
        return Fetched(url=self.url, status=status, content_type=lowered.get("content-type", ""), body=answer)


@dataclass(frozen=True)
class Answer:
    """What :func:`exchange` got back: the status, every header (names lower-cased) and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


def exchange(method: str, url: str, *, headers: dict[str, str], body: bytes | None = None, allow_private: bool,
             seconds: float, max_bytes: int = MAX_BYTES) -> Answer:
    """One request of any method under the rules of :func:`fetch` (checked addresses, a hard deadline of
    ``seconds``, a cap on the answer read), for a protocol client that needs the answer's headers and sends
    its own (LTI's service calls: bearer tokens, ``Link`` paging). Redirects are not followed. Raises
    FetchError."""
    deadline = _Deadline.for_document(urlsplit(url).hostname or "The server", seconds)
    sent = {k: v for k, v in headers.items() if k.lower() != "accept"}
    accept = next((v for k, v in headers.items() if k.lower() == "accept"), "*/*")
    status, answer_headers, answer = _request_once(
        url, accept=accept, max_bytes=max_bytes, deadline=deadline, method=method, body=body, headers=sent,
        allow_private=allow_private)
    return Answer(status=status, headers={k.lower(): v for k, v in answer_headers.items()}, body=answer)


def destination_check(url: str, *, allow_private: bool, seconds: float) -> None:
    """Whether ``url`` is somewhere :func:`post` would send to (scheme, no credentials, every address the
    name resolves to allowed), within ``seconds``: a URL is checked when it is registered, not only when
    it is used. Raises FetchError."""
    _, host, port = _check_url(url)
    resolve(host, port, allow_private=allow_private, deadline=_Deadline.for_document(host, seconds))
