"""The lean path for public documents: ready bytes from the shared cache, before Django runs at all.

Verification traffic (employers, crawlers, wallets re-checking) is the part that grows without bound,
and it asks again and again for the same few documents. ``LeanDocuments`` is a WSGI layer in front of
Django (``badgeplatform.wsgi``). For a GET or HEAD of a public assertion's JSON or baked image, a badge
class's or issuer's JSON, an issuer's revocation list, an Open Badges 3.0 credential (JSON, VC-JWT or
baked image), status list or revocation list, or an issuer's or endorser's DID document, it looks up the
entry ``verification.publication`` keeps (status, bytes, ETag, type) in the shared cache and answers
from it, with a 304 for a matching ``If-None-Match``, and with the very headers the Django path gives
(``tests/verification/test_lean_path.py`` compares the two). No request object, no middleware, no URL
resolver, no database connection. Anything else (a browser asking for the page, a miss, a hold marker
written by a change that is committing right now, a host name not in ``ALLOWED_HOSTS``) goes on to
Django, whose view builds the document from the database and stores it; so a revocation (or a key
rotation) shows on the very next request.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.request import split_domain_port, validate_host

from verification import publication
from verification.publication import Ready

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # as Django's <uuid:> converter
_PATHS = re.compile(rf"/public/(assertions|badges|issuers|credentials|endorsers)/({_UUID})"
                    r"(/image|/revocations|/jwt|/credential-revocations|/did\.json|/status/[0-9]{1,9})?")
_KEYS: dict[tuple[str, str], Callable[[str], str]] = {
    ("assertions", ""): publication.json_key,
    ("assertions", "/image"): publication.image_key,
    ("badges", ""): publication.badge_key,
    ("issuers", ""): publication.issuer_key,
    ("issuers", "/revocations"): publication.revocations_key,
    ("credentials", ""): publication.credential_key,
    ("credentials", "/jwt"): publication.credential_jwt_key,
    ("credentials", "/image"): publication.credential_image_key,
    ("issuers", "/credential-revocations"): publication.revocation_list_key,
    ("issuers", "/did.json"): publication.did_key,
    ("endorsers", "/did.json"): publication.endorser_did_key,
}
_PAGE_TYPES = {"text/html", "application/xhtml+xml"}
# A public document is data, never a page: nothing in it may run, load or be framed.
DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# A proxy's request id is kept only when it cannot smuggle anything into a header (as observability).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _html_first(accept: str, query: str) -> bool:
    if query and QueryDict(query).get("format") == "json":
        return False
    return accept.split(",")[0].split(";")[0].strip().lower() in _PAGE_TYPES


def wants_html(request: HttpRequest) -> bool:
    """Browsers (text/html first) get a page; verifiers (JSON, */* or no Accept) get JSON-LD."""
    return _html_first(request.headers.get("Accept", ""), request.META.get("QUERY_STRING", ""))


def cache_control() -> str:
    """Clients revalidate every time (a 304 costs little), so they see a revocation on their next request;
    a shared cache (a CDN, the front proxy) may hold a document ``PUBLIC_SHARED_CACHE_SECONDS``."""
    shared = settings.PUBLIC_SHARED_CACHE_SECONDS
    return f"public, max-age=0, must-revalidate, s-maxage={shared}" if shared else "public, no-cache"


def _not_modified(if_none_match: str, entry: Ready) -> bool:
    return entry.status == 200 and publication.etag_matches(if_none_match, entry.etag)


def document_headers(entry: Ready) -> list[tuple[str, str]]:
    """The headers of a ready document that its view sets, the same on both paths."""
    headers = [("ETag", entry.etag), ("Access-Control-Allow-Origin", "*"), ("Cache-Control", cache_control())]
    if entry.content_type.startswith("image/"):
        headers += [("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", IMAGE_POLICY)]
    else:
        headers += [("Vary", "Accept"), ("Content-Security-Policy", DOCUMENT_POLICY)]
    return headers


def ready_response(request: HttpRequest, entry: Ready) -> HttpResponse:
    """The view's response for a ready document (the Django path; the lean path answers the same)."""
    if _not_modified(request.headers.get("If-None-Match", ""), entry):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(entry.body, status=entry.status, content_type=entry.content_type)
    for name, value in document_headers(entry):
        response[name] = value
    return response


class LeanDocuments:
    """WSGI: answers the public documents that are ready in the shared cache, and hands every other
    request to ``app`` (Django)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            entry = _ready(environ)
            if entry is not None:
                status, headers, body = lean_answer(environ, entry)
                start_response(status, headers)
                return [b""] if method == "HEAD" else [body]
        return self.app(environ, start_response)


def lean_answer(environ: WSGIEnvironment, entry: Ready) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body: what Django's stack would send for ``entry``, in the same order (the
    view's headers, then those of the middleware on the way out: clickjacking, common, security,
    observation)."""
    not_modified = _not_modified(environ.get("HTTP_IF_NONE_MATCH", ""), entry)
    headers = list(_fixed_headers(entry.status, entry.etag, entry.content_type, len(entry.body), not_modified,
                                  _is_secure(environ)))
    given = environ.get("HTTP_X_REQUEST_ID", "")
    headers.append(("X-Request-ID", given if _SANE_REQUEST_ID.fullmatch(given) else os.urandom(16).hex()))
    return _STATUS_LINES[304 if not_modified else entry.status], headers, b"" if not_modified else entry.body


@lru_cache(maxsize=4096)
def _fixed_headers(status: int, etag: str, content_type: str, length: int, not_modified: bool,
                   secure: bool) -> tuple[tuple[str, str], ...]:
    """Every header of the answer but the request id, worked out once per document version and process (a
    change to a document is a new ETag; settings do not change while a process runs, as for
    ``_security_headers``). Keyed by the strings, not the entry, so no body is kept here."""
    own = document_headers(Ready(status, b"", etag, content_type))
    if not_modified:
        content_type, length = "text/html; charset=utf-8", 0
    headers = [("Content-Type", content_type), *own, ("X-Frame-Options", settings.X_FRAME_OPTIONS),
               ("Content-Length", str(length))]
    named = {name for name, _ in own}
    headers += [(name, value) for name, value in _security_headers(secure) if name not in named]
    return tuple(headers)


_STATUS_LINES = {200: "200 OK", 304: "304 Not Modified", 404: "404 Not Found", 410: "410 Gone"}


@lru_cache(maxsize=2)
def _security_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """What ``SecurityMiddleware`` adds, from the settings (read once per process)."""
    headers: list[tuple[str, str]] = []
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        parts = policy.split(",") if isinstance(policy, str) else policy
        headers.append(("Referrer-Policy", ",".join(v.strip() for v in parts)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", str(settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)))
    return tuple(headers)


def _is_secure(environ: WSGIEnvironment) -> bool:
    """``HttpRequest.is_secure``: the proxy's header when ``SECURE_PROXY_SSL_HEADER`` names one."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",")[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")


@lru_cache(maxsize=64)
def _host_allowed(host: str) -> bool:
    """``HttpRequest.get_host``'s check: a host Django would refuse (400) goes on to Django to refuse."""
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


def _raw_host(environ: WSGIEnvironment) -> str:
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        return str(environ["HTTP_X_FORWARDED_HOST"])
    if "HTTP_HOST" in environ:
        return str(environ["HTTP_HOST"])
    port = str(environ.get("SERVER_PORT", ""))
    default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    return str(environ.get("SERVER_NAME", "")) + ("" if port == default else f":{port}")


def _ready(environ: WSGIEnvironment) -> Ready | None:
    match = _PATHS.fullmatch(environ.get("PATH_INFO", ""))
    if match is None:
        return None
    kind, public_id, part = match.groups()
    if not part and _html_first(environ.get("HTTP_ACCEPT", ""), environ.get("QUERY_STRING", "")):
        return None
    if part and part.startswith("/status/"):  # an OB 3.0 status list
        key = publication.status_list_key(public_id, int(part[8:]))
    else:
        make_key = _KEYS.get((kind, part or ""))
        if make_key is None:  # e.g. a badge class's image: read from storage by its view
            return None
        key = make_key(public_id)
    if not _host_allowed(_raw_host(environ)):
        return None
    entry = _peek(key)
    return entry if isinstance(entry, Ready) and entry.status in _STATUS_LINES else None


def _peek(key: str) -> Any:
    """The cache's entry under ``key``: from this process's copies when Redis is the cache, else ``cache.get``
    (the embedded file-based cache: one file read)."""
    copies = _copies
    if copies is None or copies.pid != os.getpid():
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return backend.get(key)
        copies = _keep_copies(backend)
    return copies.get(key)


def _keep_copies(backend: RedisCache) -> TrackedCopies:
    global _copies  # noqa: PLW0603 - one tracking connection per process, made on first use (after the fork)
    _copies = TrackedCopies(backend)
    return _copies


class TrackedCopies:
    """Ready documents kept in this process for as long as Redis says they are unchanged.

    A round trip to Redis per request was most of the lean path's time once the machine is busy (each
    sync worker waits for Redis to be scheduled). So the process reads through one connection of its own
    with ``CLIENT TRACKING ON`` (RESP3): Redis remembers which keys it read and pushes an invalidation on
    that connection when any process changes one (a hold marker written by a revocation, say), or drops
    them all (a flush). Every lookup first reads the invalidations waiting on the connection (a
    non-blocking read, no round trip), then answers from its copy or, on a miss, asks Redis. The hold is
    written before the change commits and again after, so the invalidation is on this connection long
    before anyone can learn of the change: the very next request misses and goes on to Django. If the
    connection breaks, the copies are dropped with it (their invalidations could be lost)."""

    MAX_BYTES = 32 * 1024 * 1024
    MAX_ENTRIES = 5000

    def __init__(self, backend: RedisCache) -> None:
        self.pid = os.getpid()
        self._backend = backend
        self._loads = backend._cache._serializer.loads  # type: ignore[attr-defined]
        self._copies: dict[str, Ready] = {}
        self._bytes = 0
        self.untracked = False
        self._lock = threading.Lock()
        url = backend._servers[0]  # type: ignore[attr-defined]
        self._conn = redis.ConnectionPool.from_url(url, protocol=3).make_connection()
        self._conn.register_connect_callback(self._track)

    def _track(self, conn: Any) -> None:
        """On every (re)connection: whatever was invalidated while there was none is unknown, so start empty."""
        self._forget_all()
        conn.send_command("CLIENT", "TRACKING", "ON")
        try:
            conn.read_response()
        except redis.ResponseError:  # a server without tracking (or with CLIENT renamed away)
            logger.warning("The cache's Redis refuses CLIENT TRACKING: public documents are read from it on "
                           "every request", exc_info=True)
            self.untracked = True
            raise
        conn._parser.set_invalidation_push_handler(self._invalidated)

    def _invalidated(self, message: list[Any]) -> None:
        keys = message[1]
        if keys is None:  # FLUSHDB / FLUSHALL
            self._forget_all()
            return
        for raw in keys:
            entry = self._copies.pop(raw.decode() if isinstance(raw, bytes) else raw, None)
            if entry is not None:
                self._bytes -= len(entry.body)

    def _forget_all(self) -> None:
        self._copies.clear()
        self._bytes = 0

    def get(self, key: str) -> Ready | None:
        if self.untracked:  # no copies can be kept true: the shared cache on every request
            entry = self._backend.get(key)
            return entry if isinstance(entry, Ready) else None
        redis_key = self._backend.make_key(key)
        with self._lock:
            try:
                while self._conn.can_read(0):  # invalidations waiting (a non-blocking read; connects if need be)
                    self._conn.read_response(push_request=True)
                entry = self._copies.get(redis_key)
                if entry is not None:
                    return entry
                self._conn.send_command("GET", redis_key)
                raw = self._conn.read_response()
            except (redis.RedisError, OSError):
                self._conn.disconnect()
                self._forget_all()
                return None  # Django's path, with its own connections, answers or fails loudly
            value = None if raw is None else self._loads(raw)
            if isinstance(value, Ready):
                self._keep(redis_key, value)
                return value
            return None

    def _keep(self, redis_key: str, entry: Ready) -> None:
        if len(entry.body) > self.MAX_BYTES // 8:
            return
        while self._copies and (self._bytes + len(entry.body) > self.MAX_BYTES
                                or len(self._copies) >= self.MAX_ENTRIES):
            oldest = next(iter(self._copies))
            self._bytes -= len(self._copies.pop(oldest).body)
        self._copies[redis_key] = entry
        self._bytes += len(entry.body)


_copies: TrackedCopies | None = None
