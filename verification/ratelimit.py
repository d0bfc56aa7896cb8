"""A fixed-window rate limit per client address, kept in Django's cache, which every web process shares
(Redis in production, a file-based cache in the embedded default)."""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.network import client_address
from verification.forms import VerifyForm
from verification.verifier import BUSY_MESSAGE

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period]


def _limited_address(request: HttpRequest) -> str:
    """The client address (configured once, in accounts.network); an IPv6 client is counted by its /64,
    as allauth does, since one host commonly holds a whole /64."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return address


def rate_limited(request: HttpRequest, scope: str = "verify", rate: str | None = None) -> int | None:
    """Count this request against ``rate`` (``VERIFY_RATE_LIMIT`` unless given), per client address and
    ``scope``; return the seconds to wait when over the limit, else None."""
    limit, period = parse_rate(rate or settings.VERIFY_RATE_LIMIT)
    now = time.time()
    window = int(now // period)
    # The address is hashed: the cache holds no readable IP addresses.
    who = hashlib.sha256(_limited_address(request).encode()).hexdigest()[:24]
    key = f"ratelimit:{scope}:{who}:{window}"
    cache.add(key, 0, period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, period + 5)
        count = 1
    if count > limit:
        return max(1, int(period - now % period) + 1)
    return None


def too_many_requests(retry_after: int, *, html: bool = False, request: HttpRequest | None = None) -> HttpResponse:
    message = f"Too many verifications from your address. Try again in {retry_after} seconds."
    if html and request is not None:
        context = {"rate_limited": message, "form": VerifyForm()}
        response = render(request, "verification/verify.html", context, status=429)
    else:
        response = JsonResponse({"detail": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def busy(*, html: bool = False, request: HttpRequest | None = None) -> HttpResponse:
    """503 with Retry-After: this process is verifying as many foreign badges as it may at once."""
    retry_after = settings.VERIFY_TOTAL_SECONDS  # by then every running verification has ended
    if html and request is not None:
        response = render(request, "verification/verify.html", {"rate_limited": BUSY_MESSAGE, "form": VerifyForm()},
                          status=503)
    else:
        response = JsonResponse({"detail": BUSY_MESSAGE}, status=503)
    response["Retry-After"] = str(retry_after)
    return response
