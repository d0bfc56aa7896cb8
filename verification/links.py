"""Links to our own pages that show badges, and the badges behind them.

A learner shares what "Copy link" gives (the share page ``/s/<id>/``), a collection (``/c/<id>/``),
the public assertion page or the certificate's QR code; an employer pastes any of them into
``/verify`` or ``POST /api/v1/verify/``. The assertion page is a public document already; the pages
of higher layers (the backpack's share and collection pages) say which badges they show through
:data:`OUR_PAGES`, filled in their app's ``AppConfig.ready``. A link to ``/verify?url=...`` is the
link it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from issuers.registry import Registry

MAX_LINKED_BADGES = 50


@dataclass(frozen=True)
class BadgeInput:
    """One badge a page shows, as the verifier takes it: exactly one of these is set."""

    url: str | None = None
    text: str | None = None  # a signed badge (JWS) or assertion JSON, as it was imported
    image: bytes | None = None  # a baked image, as it was imported


@dataclass(frozen=True)
class LinkedBadges:
    """The badges one of our pages shows. ``collection`` is the collection's name when it is one."""

    badges: list[BadgeInput] = field(default_factory=list)
    collection: str | None = None


# Each takes the path of a link to our site (``/c/<id>/``) and answers the badges it shows, or None
# when the path is not one of its pages.
OUR_PAGES: Registry[Callable[[str], LinkedBadges | None]] = Registry(
    "our pages that show badges: which badges a link to one of them shows (backpack)")


def linked_badges(url: str, *, _depth: int = 0) -> LinkedBadges | None:
    """The badges behind a link to one of our pages other than a public document, else None."""
    base = settings.PUBLIC_BASE_URL
    if not isinstance(url, str) or not url.startswith(base + "/") or url.startswith(base + "/public/"):
        return None
    parts = urlsplit(url[len(base):])
    if parts.path.rstrip("/") == "/verify" and _depth == 0:
        carried = parse_qs(parts.query).get("url", [""])[0].strip()
        if not carried.startswith(("https://", "http://")):
            return None
        return linked_badges(carried, _depth=1) or LinkedBadges(badges=[BadgeInput(url=carried)])
    for page in OUR_PAGES:
        found = page(parts.path)
        if found is not None:
            return LinkedBadges(badges=found.badges[:MAX_LINKED_BADGES], collection=found.collection)
    return None
