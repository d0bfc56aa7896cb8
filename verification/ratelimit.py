"""A fixed-window rate limit per client address, kept in Django's cache (Redis in production)."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from verification.forms import VerifyForm

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period]


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a proxy we trust sets it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limited(request: HttpRequest, scope: str = "verify") -> int | None:
    """Count this request; return the seconds to wait when over the limit, else None."""
    limit, period = parse_rate(settings.VERIFY_RATE_LIMIT)
    now = time.time()
    window = int(now // period)
    # The address is hashed: the cache holds no readable IP addresses.
    who = hashlib.sha256(client_address(request).encode()).hexdigest()[:24]
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
