"""Extract the Open Badges assertion (2.0) or credential (3.0) baked into a PNG or SVG (the "unbake"
step of verification).

OB 2.0 uses the PNG keyword ``openbadges`` and ``<openbadges:assertion>`` in ``http://openbadges.org``;
OB 3.0 the keyword ``openbadgecredential`` and ``<openbadges:credential>`` in
``https://purl.imsglobal.org/ob/v3p0`` (OB 3.0 section 5.4). An image carrying both gives the 3.0 one.

Input comes from strangers (uploads to the public verifier), so every path is bounded and any
failure surfaces as UnbakeError with a message fit for the user.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 -- only for ParseError; parsing uses defusedxml
import zlib

from defusedxml import DefusedXmlException

from assertions.baking import ASSERTION_TAG, OB_KEYWORD, PNG_SIGNATURE, png_chunks
from badges.images import XMLTooDeep, parse_untrusted_xml

OB3_KEYWORD = b"openbadgecredential"
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL_TAG = f"{{{OB3_NS}}}credential"
MAX_CHUNKS = 10_000
MAX_TEXT = 1024 * 1024  # inflated payload limit: a real assertion is a few KB


class UnbakeError(ValueError):
    """No readable Open Badges assertion could be extracted; the message can be shown to the user."""


def read_baked(data: bytes, *, max_bytes: int = 5 * 1024 * 1024) -> str:
    """Return the embedded payload: assertion or credential JSON, a JWS or VC-JWT, or a URL."""
    if not data:
        raise UnbakeError("The file is empty.")
    if len(data) > max_bytes:
        raise UnbakeError(f"The file is too large; the limit is {max_bytes // (1024 * 1024)} MB.")
    try:
        if data.startswith(PNG_SIGNATURE):
            payload = _read_png(data)
        elif data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            payload = _read_svg(data)
        else:
            raise UnbakeError("The file is not a PNG or SVG image.")
    except UnbakeError:
        raise
    except (ValueError, UnicodeDecodeError, zlib.error, MemoryError) as exc:
        raise UnbakeError("The image is damaged and its badge data could not be read.") from exc
    payload = payload.strip()
    if not payload:
        raise UnbakeError("The image contains an empty Open Badges assertion.")
    return payload


def _inflate(blob: bytes) -> bytes:
    # Bounded inflate: a tiny zlib stream can expand to gigabytes.
    inflater = zlib.decompressobj()
    out = inflater.decompress(blob, MAX_TEXT + 1)
    if len(out) > MAX_TEXT or inflater.unconsumed_tail:
        raise UnbakeError("The embedded badge data is too large.")
    return out


def _read_png(data: bytes) -> str:
    try:
        # CRCs are deliberately not checked: some tools write bad ones and the signature/hosted
        # verification of the payload is what establishes trust, not the container.
        chunks = png_chunks(data, max_chunks=MAX_CHUNKS)
    except ValueError as exc:
        raise UnbakeError(f"The PNG file is damaged: {exc}.") from exc
    found: dict[bytes, str | None] = {}
    for ctype, body, _raw in chunks:
        for keyword in (OB3_KEYWORD, OB_KEYWORD):
            if keyword not in found and body.startswith(keyword + b"\x00"):
                found[keyword] = _chunk_text(ctype, body[len(keyword) + 1 :])
    for keyword in (OB3_KEYWORD, OB_KEYWORD):
        text = found.get(keyword)
        if text is not None:
            return text
    raise UnbakeError("This PNG does not contain an Open Badges assertion or credential.")


def _chunk_text(ctype: bytes, rest: bytes) -> str | None:
    if ctype == b"iTXt":
        if len(rest) < 2:
            raise UnbakeError("The badge data chunk is damaged.")
        flag, method, rest = rest[0], rest[1], rest[2:]
        # skip language tag and translated keyword (both NUL-terminated)
        parts = rest.split(b"\x00", 2)
        if len(parts) != 3:
            raise UnbakeError("The badge data chunk is damaged.")
        text = parts[2]
        if flag:
            if method != 0:
                raise UnbakeError("The badge data uses an unknown compression method.")
            text = _inflate(text)
        return text.decode("utf-8")
    if ctype == b"tEXt":  # older bakers used tEXt (Latin-1 by PNG rules)
        return rest.decode("latin-1")
    if ctype == b"zTXt":
        if not rest or rest[0] != 0:
            raise UnbakeError("The badge data uses an unknown compression method.")
        return _inflate(rest[1:]).decode("latin-1")
    return None


def _looks_like_jws(value: str) -> bool:
    return "{" not in value and value.count(".") == 2


def _read_svg(data: bytes) -> str:
    try:
        root = parse_untrusted_xml(data)
    except DefusedXmlException as exc:
        raise UnbakeError("SVG files with DTDs or entity declarations are not accepted.") from exc
    except XMLTooDeep as exc:
        raise UnbakeError(f"The SVG file cannot be read: {exc}.") from exc
    except ET.ParseError as exc:
        raise UnbakeError("The SVG file is not well-formed XML.") from exc
    element = next(root.iter(CREDENTIAL_TAG), None)
    if element is None:
        element = next(root.iter(ASSERTION_TAG), None)
    if element is None:
        raise UnbakeError("This SVG does not contain an Open Badges assertion or credential.")
    verify = (element.get("verify") or "").strip()
    if verify and _looks_like_jws(verify):
        return verify
    text = "".join(element.itertext()).strip()
    if text:
        return text
    if verify:
        return verify
    raise UnbakeError("The Open Badges assertion in this SVG is empty.")
