"""Open Badges 3.0 baking (OB 3.0 section 5.4) for SVG: one ``<openbadges:credential>`` in the
namespace ``https://purl.imsglobal.org/ob/v3p0`` as the root's first child, the credential JSON in
CDATA. (PNG: ``assertions.baking.bake_png`` with the keyword ``openbadgecredential``.)

ElementTree maps one prefix to one namespace for the whole process, and ``openbadges`` is OB 2.0's
(``http://openbadges.org``), so the element is written in as text at a marker instead.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # noqa: S405 -- only builds and serialises; parsing uses defusedxml
from functools import lru_cache

from assertions.baking import cdata, svg_bytes, svg_root

OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL_TAG = f"{{{OB3_NS}}}credential"


def bake_svg_credential(svg: bytes, credential_json: str) -> bytes:
    """The SVG with the credential in, from the badge's frame made once (the same bytes as
    ``bake_svg_credential_parsed``, which parses and writes the whole SVG)."""
    head, tail = _frame(svg)
    return head + b"<openbadges:credential>" + cdata(credential_json) + b"</openbadges:credential>" + tail


_MARK = "ob3-credential-zzbpzz"


@lru_cache(maxsize=32)  # a batch bakes many awards of a few badges
def _frame(svg: bytes) -> tuple[bytes, bytes]:
    head, _marker, tail = _written(svg, _MARK).partition(f"<{_MARK} />".encode())
    return head, tail


def _written(svg: bytes, marker: str) -> bytes:
    root = svg_root(svg)
    for old in [child for child in root if child.tag == CREDENTIAL_TAG]:
        root.remove(old)
    element = ET.Element(marker)
    element.tail = root.text
    root.insert(0, element)
    root.set("xmlns:openbadges", OB3_NS)
    return svg_bytes(root)


def bake_svg_credential_parsed(svg: bytes, credential_json: str) -> bytes:
    """``bake_svg_credential`` by parsing and writing the whole SVG (the reference for the tests)."""
    marker = f"ob3-credential-{uuid.uuid4().hex}"
    baked = b"<openbadges:credential>" + cdata(credential_json) + b"</openbadges:credential>"
    return _written(svg, marker).replace(f"<{marker} />".encode(), baked, 1)
