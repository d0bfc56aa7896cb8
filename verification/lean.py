"""The lean path for public documents: ready bytes from the cache, before the rest of the stack runs.

Verification traffic (employers, crawlers, wallets re-checking) is the part that grows without bound,
and it asks again and again for the same few documents. ``PublicDocumentMiddleware`` sits in
``MIDDLEWARE`` before sessions, CSRF, authentication, messages and tenancy. For a GET or HEAD of a
public assertion's JSON or baked image, a badge class's or issuer's JSON, an issuer's revocation
list, or an Open Badges 3.0 credential (JSON or VC-JWT), status list or revocation list, it looks up
the entry ``verification.publication`` keeps (status, bytes, ETag, type) and answers from it, with
a 304 for a matching ``If-None-Match``. Anything else (a browser asking for the page, a miss, a
hold marker written by a change that is committing right now) goes on to the view, which builds
the document from the database and stores it; so a revocation shows on the very next request. No
database query and no session are touched on the lean path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse

from verification import publication
from verification.publication import Ready

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # as Django's <uuid:> converter
_PATHS = re.compile(rf"/public/(assertions|badges|issuers|credentials)/({_UUID})"
                    r"(/image|/revocations|/jwt|/credential-revocations|/status/[0-9]{1,9})?")
_KEYS: dict[tuple[str, str], Callable[[str], str]] = {
    ("assertions", ""): publication.json_key,
    ("assertions", "/image"): publication.image_key,
    ("badges", ""): publication.badge_key,
    ("issuers", ""): publication.issuer_key,
    ("issuers", "/revocations"): publication.revocations_key,
    ("credentials", ""): publication.credential_key,
    ("credentials", "/jwt"): publication.credential_jwt_key,
    ("issuers", "/credential-revocations"): publication.revocation_list_key,
}
_PAGE_TYPES = {"text/html", "application/xhtml+xml"}


def wants_html(request: HttpRequest) -> bool:
    """Browsers (text/html first) get a page; verifiers (JSON, */* or no Accept) get JSON-LD."""
    if request.GET.get("format") == "json":
        return False
    first = request.headers.get("Accept", "").split(",")[0].split(";")[0].strip().lower()
    return first in _PAGE_TYPES


def cache_control() -> str:
    """Clients revalidate every time (a 304 costs little), so they see a revocation on their next request;
    a shared cache (a CDN, the front proxy) may hold a document ``PUBLIC_SHARED_CACHE_SECONDS``."""
    shared = settings.PUBLIC_SHARED_CACHE_SECONDS
    return f"public, max-age=0, must-revalidate, s-maxage={shared}" if shared else "public, no-cache"


def ready_response(request: HttpRequest, entry: Ready) -> HttpResponse:
    """The response for a ready document, the same from the lean path and from the view."""
    if entry.status == 200 and publication.etag_matches(request.headers.get("If-None-Match", ""), entry.etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(entry.body, status=entry.status, content_type=entry.content_type)
    response["ETag"] = entry.etag
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = cache_control()
    if entry.content_type.startswith("image/"):
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    else:
        response["Vary"] = "Accept"
    return response


class PublicDocumentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        entry = self._ready(request) if request.method in ("GET", "HEAD") else None
        if entry is None:
            return self.get_response(request)
        response = ready_response(request, entry)
        # What the security, CSP and clickjacking middleware, not run here, would add to a document.
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Frame-Options"] = "DENY"
        response.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
        if settings.SECURE_REFERRER_POLICY:
            response["Referrer-Policy"] = str(settings.SECURE_REFERRER_POLICY)
        if settings.SECURE_HSTS_SECONDS and request.is_secure():
            response["Strict-Transport-Security"] = _hsts()
        return response

    @staticmethod
    def _ready(request: HttpRequest) -> Ready | None:
        match = _PATHS.fullmatch(request.path_info)
        if match is None:
            return None
        kind, public_id, part = match.groups()
        if not part and wants_html(request):
            return None
        if part and part.startswith("/status/"):  # an OB 3.0 status list
            entry = _peek(publication.status_list_key(public_id, int(part[8:])))
        else:
            key = _KEYS.get((kind, part or ""))
            if key is None:  # e.g. a badge class's image: read from storage by its view
                return None
            entry = _peek(key(public_id))
        return entry if isinstance(entry, Ready) else None


def _hsts() -> str:
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return value


_redis: Any = None


def _peek(key: str) -> Any:
    """``cache.get(key)``, with one Redis client kept for the process: Django's Redis cache builds a new
    client object for every call, which was a third of the lean path's cost."""
    global _redis  # noqa: PLW0603 - one client per process, made on first use (after the fork)
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend.get(key)
    if _redis is None:
        _redis = backend._cache.get_client(key)
    raw = _redis.get(backend.make_key(key))
    return None if raw is None else backend._cache._serializer.loads(raw)  # type: ignore[attr-defined]
