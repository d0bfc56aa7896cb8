"""Open Badges 2.0 baking: embed an assertion in the badge image itself.

https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/baking/index.html
PNG: an iTXt chunk with keyword "openbadges". SVG: an <openbadges:assertion> element whose "verify"
attribute holds the assertion URL (hosted) or the JWS (signed).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET  # noqa: S405 -- only used to build/serialise trees; parsing uses defusedxml
import zlib
from functools import lru_cache

from defusedxml import DefusedXmlException

from badges.images import parse_untrusted_xml

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB_KEYWORD = b"openbadges"
OB_NS = "http://openbadges.org"
SVG_NS = "http://www.w3.org/2000/svg"
ASSERTION_TAG = f"{{{OB_NS}}}assertion"
MAX_CHUNKS = 10_000

# The spec requires the "openbadges" prefix; registering it makes ElementTree emit
# xmlns:openbadges="http://openbadges.org" on the root rather than an "ns0" prefix.
ET.register_namespace("openbadges", OB_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


class BakingError(ValueError):
    """The image cannot be baked (not a well-formed PNG/SVG)."""


def png_chunks(data: bytes, *, max_chunks: int = MAX_CHUNKS) -> list[tuple[bytes, bytes, bytes]]:
    """Split a PNG into (type, data, raw bytes of the whole chunk), stopping at IEND.

    CRCs are not checked here (readers decide); raw bytes are kept so untouched chunks are copied
    verbatim. Raises ValueError on a missing signature, truncation or an absurd chunk count.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    chunks: list[tuple[bytes, bytes, bytes]] = []
    pos = len(PNG_SIGNATURE)
    while True:
        if len(chunks) >= max_chunks:
            raise ValueError("PNG has too many chunks")
        if pos + 8 > len(data):
            raise ValueError("PNG is truncated (no IEND chunk)")
        length = int.from_bytes(data[pos : pos + 4], "big")
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            raise ValueError("PNG is truncated inside a chunk")
        chunks.append((ctype, data[pos + 8 : pos + 8 + length], data[pos:end]))
        pos = end
        if ctype == b"IEND":
            return chunks


def _chunk(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return len(body).to_bytes(4, "big") + ctype + body + crc.to_bytes(4, "big")


def _is_openbadges_chunk(ctype: bytes, body: bytes, keyword: bytes = OB_KEYWORD) -> bool:
    return ctype in (b"iTXt", b"tEXt", b"zTXt") and body.startswith(keyword + b"\x00")


def bake_png(png: bytes, payload: str, *, keyword: bytes = OB_KEYWORD) -> bytes:
    """Return the PNG with exactly one uncompressed iTXt chunk ``keyword`` (OB 2.0: ``openbadges``;
    OB 3.0: ``openbadgecredential``), placed right after IHDR.

    Chunks are rewritten at byte level so image data is untouched (no re-encode, identical pixels).
    """
    try:
        chunks = png_chunks(png)
    except ValueError as exc:
        raise BakingError(f"Cannot bake: {exc}.") from exc
    if not chunks or chunks[0][0] != b"IHDR":
        raise BakingError("Cannot bake: the PNG does not start with an IHDR chunk.")
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text
    itxt = _chunk(b"iTXt", keyword + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + payload.encode("utf-8"))
    out = [PNG_SIGNATURE, chunks[0][2], itxt]
    # Previously baked assertions are dropped so a re-bake never leaves two competing claims.
    out.extend(raw for ctype, body, raw in chunks[1:] if not _is_openbadges_chunk(ctype, body, keyword))
    return b"".join(out)


def bake_svg(svg: bytes, payload: str, *, verify_url: str | None, signed: bool) -> bytes:
    """Return the SVG with one <openbadges:assertion> as the root's first child.

    Hosted: verify=<assertion URL>, body is the assertion JSON in CDATA. Signed: verify=<JWS>, no body.
    The same bytes as ``bake_svg_parsed`` (which parses and writes the whole SVG), from the badge's
    frame, made once (``svg_frame``): a cohort's SVG bakes differ only in the element.
    """
    if not signed and not verify_url:
        raise BakingError("Cannot bake a hosted assertion without its URL.")
    frame = svg_frame(svg, ASSERTION_TAG, signed=signed)
    if frame is None:
        return bake_svg_parsed(svg, payload, verify_url=verify_url, signed=signed)
    verify = payload if signed else verify_url
    assert verify is not None  # checked above
    opening = b'<openbadges:assertion verify="' + xml_attribute(verify) + b'"'
    element = opening + (b" />" if signed else b">" + cdata(payload) + b"</openbadges:assertion>")
    return frame[0] + element + frame[1]


_ATTRIBUTE_MARK = "zzbpverifyzz"
_TEXT_MARK = "zzbptextzz"


@lru_cache(maxsize=32)  # a batch bakes many awards of a few badges
def svg_frame(svg: bytes, tag: str, *, signed: bool = False) -> tuple[bytes, bytes] | None:
    """What ``bake_svg_parsed`` writes before and after the element it inserts (``tag``, with
    markers where the per-award values go); None if the markers are not found exactly once (no frame:
    bake the usual way). Raises ``BakingError`` for an SVG that cannot be baked."""
    root = svg_root(svg)
    for old in [child for child in root if child.tag == tag]:
        root.remove(old)
    element = ET.Element(tag)
    element.set("verify", _ATTRIBUTE_MARK)
    if not signed:
        element.text = _TEXT_MARK
    element.tail = root.text
    root.insert(0, element)
    out = svg_bytes(root)
    written = f'<openbadges:assertion verify="{_ATTRIBUTE_MARK}"'.encode()
    written += b" />" if signed else f">{_TEXT_MARK}</openbadges:assertion>".encode()
    if out.count(written) != 1 or out.count(_ATTRIBUTE_MARK.encode()) != 1 or out.count(_TEXT_MARK.encode()) > 1:
        return None
    head, tail = out.split(written)
    return head, tail


def xml_attribute(value: str) -> bytes:
    """``value`` as ElementTree writes it in an attribute (escaped, UTF-8)."""
    written = ET.tostring(ET.Element("a", {"v": value}), encoding="unicode")
    return written[len('<a v="'):-len('" />')].encode("utf-8")


def bake_svg_parsed(svg: bytes, payload: str, *, verify_url: str | None, signed: bool) -> bytes:
    """``bake_svg`` by parsing and writing the whole SVG (the reference ``svg_frame`` is tested against)."""
    root = svg_root(svg)
    for old in [child for child in root if child.tag == ASSERTION_TAG]:
        root.remove(old)

    element = ET.Element(ASSERTION_TAG)
    placeholder = None
    if signed:
        element.set("verify", payload)
    else:
        if not verify_url:
            raise BakingError("Cannot bake a hosted assertion without its URL.")
        element.set("verify", verify_url)
        # ElementTree cannot write CDATA, so a unique token is serialised and swapped afterwards.
        placeholder = f"OB-CDATA-{uuid.uuid4().hex}"
        element.text = placeholder
    element.tail = root.text  # keep whatever whitespace preceded the first child
    root.insert(0, element)
    out = svg_bytes(root)
    if placeholder is not None:
        out = out.replace(placeholder.encode(), cdata(payload), 1)
    return out


def svg_root(svg: bytes) -> ET.Element:
    """The parsed root of a badge SVG to bake into (refused if not well-formed SVG)."""
    try:
        root = parse_untrusted_xml(svg)  # stored images are sanitised already; bounded all the same
    except (DefusedXmlException, ET.ParseError, ValueError) as exc:
        raise BakingError("Cannot bake: the SVG is not well-formed or contains a DTD.") from exc
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise BakingError("Cannot bake: the file is not an SVG image.")
    return root


def cdata(text: str) -> bytes:
    # "]]>" cannot appear inside CDATA; splitting it across two sections is the standard escape.
    return ("<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>").encode("utf-8")


def svg_bytes(root: ET.Element) -> bytes:
    """The SVG tree serialised with the SVG namespace as the default one."""
    # ElementTree's default_namespace option rejects un-namespaced attributes, so SVG-namespace tags
    # are unqualified and the namespace is declared with a literal xmlns on the root instead of "ns0:".
    svg_prefix = f"{{{SVG_NS}}}"
    if root.tag.startswith(svg_prefix):
        for elem in root.iter():
            if isinstance(elem.tag, str) and elem.tag.startswith(svg_prefix):
                elem.tag = elem.tag[len(svg_prefix) :]
        root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
