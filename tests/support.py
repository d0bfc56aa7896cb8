"""Helpers shared by tests in several apps."""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image


def png_bytes(size: int = 128, colour: tuple[int, ...] = (29, 78, 216)) -> bytes:
    """A square PNG badge image (RGB, or RGBA when ``colour`` has an alpha value)."""
    out = io.BytesIO()
    Image.new("RGBA" if len(colour) == 4 else "RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def url_routes(patterns: list | None = None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern of the project as ``(route, pattern)``; ``pattern.full_name`` is set to its
    namespaced name (e.g. "backpack:badge")."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_routes(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            p.full_name = namespace + (p.name or "")
            yield prefix + str(p.pattern), p
