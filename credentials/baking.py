"""Open Badges 3.0 baking (OB 3.0 section 5.4) for SVG: one ``<openbadges:credential>`` in the
namespace ``https://purl.imsglobal.org/ob/v3p0`` as the root's first child, the credential JSON in
CDATA. (PNG: ``assertions.baking.bake_png`` with the keyword ``openbadgecredential``.)

ElementTree maps one prefix to one namespace for the whole process, and ``openbadges`` is OB 2.0's
(``http://openbadges.org``), so the element is written in as text at a marker instead.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # noqa: S405 -- only builds and serialises; parsing uses defusedxml

from assertions.baking import cdata, svg_bytes, svg_root

OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL_TAG = f"{{{OB3_NS}}}credential"


def bake_svg_credential(svg: bytes, credential_json: str) -> bytes:
    root = svg_root(svg)
    for old in [child for child in root if child.tag == CREDENTIAL_TAG]:
        root.remove(old)
    marker = f"ob3-credential-{uuid.uuid4().hex}"
    element = ET.Element(marker)
    element.tail = root.text
    root.insert(0, element)
    root.set("xmlns:openbadges", OB3_NS)
    out = svg_bytes(root)
    baked = b"<openbadges:credential>" + cdata(credential_json) + b"</openbadges:credential>"
    return out.replace(f"<{marker} />".encode(), baked, 1)
