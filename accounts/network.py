"""The client's address, from the one place the deployment configures it.

Behind a reverse proxy REMOTE_ADDR is the proxy's address, shared by every visitor; X-Forwarded-For is
whatever the client wrote, followed by what each proxy appended. So the address is taken from
``TRUSTED_CLIENT_IP_HEADER`` when the proxy sets one, else the entry ``TRUSTED_PROXY_COUNT`` places from
the right of X-Forwarded-For (the one our own outermost proxy appended; anything the client put before
it is ignored), else REMOTE_ADDR. Login throttling (allauth, through ``AccountAdapter.get_client_ip``)
and the verifier's rate limit both read it here.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _parse(value: str) -> str | None:
    """An IP address in canonical form, from "1.2.3.4", "1.2.3.4:5678", "[::1]:5678" or "::1"; else None."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    remote = _parse(request.META.get("REMOTE_ADDR", "")) or "unknown"
    header = settings.TRUSTED_CLIENT_IP_HEADER
    if header:
        return _parse(request.headers.get(header, "")) or remote
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "")
    if count and forwarded:
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:  # fewer: the request did not come through all our proxies
            return _parse(hops[-count]) or remote
    return remote
