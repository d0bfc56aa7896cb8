"""Panels the layers above add to a learner's badge page (an award of ours), through the one
mechanism for it (``issuers.registry``): each registered function gets the request and the award
and returns its panel's HTML (the wallets app: "Add to a wallet")."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from assertions.models import Assertion
from issuers.registry import Registry

BADGE_PANELS: Registry[Callable[[HttpRequest, Assertion], str]] = Registry(
    "panels on a learner's badge page (wallets)")


def badge_panels(request: HttpRequest, assertion: Assertion) -> list[SafeString]:
    # Each panel is rendered by its app's template engine, which escaped every value it put in.
    return [mark_safe(panel(request, assertion)) for panel in BADGE_PANELS]  # noqa: S308
