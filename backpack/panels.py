"""What the layers above add to a learner's award, through the one mechanism for it
(``issuers.registry``): panels on the badge page (each registered function gets the request and the
award and returns its panel's HTML; the wallets app: "Add to a wallet"), and what they hold about the
award, for the learner's data export (``backpack.services.backpack_data``; wallets: its deliveries)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from assertions.models import Assertion
from issuers.registry import Registry

BADGE_PANELS: Registry[Callable[[HttpRequest, Assertion], str]] = Registry(
    "panels on a learner's badge page (wallets)")


AWARD_RECORDS: Registry[Callable[[Assertion], dict[str, Any]]] = Registry(
    "what the layers above hold about a learner's award, for their data export (wallets)")


def badge_panels(request: HttpRequest, assertion: Assertion) -> list[SafeString]:
    # Each panel is rendered by its app's template engine, which escaped every value it put in.
    return [mark_safe(panel(request, assertion)) for panel in BADGE_PANELS]  # noqa: S308
