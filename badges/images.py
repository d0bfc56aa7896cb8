"""Validation and sanitising of uploaded badge images (PNG or SVG).

Badge images are shown to recipients and third parties, and SVG is a document format that can carry
scripts, so anything uploaded goes through here before it is stored or baked.
"""

from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ET  # noqa: S405 -- only used to build/serialise trees; parsing uses defusedxml

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

MIN_SIZE = 90
# Our own pixel bound, checked from IHDR before Pillow decodes anything. We do not lower the global
# Image.MAX_IMAGE_PIXELS because it is process-wide and other code (and threads) share it.
MAX_SIDE = 4096
MAX_PIXELS = MAX_SIDE * MAX_SIDE
# Elements nested deeper than this are refused while parsing: the sanitiser, the serialiser and the
# renderer all recurse over the tree, and thousands of levels would end in RecursionError (a 500).
# Drawings from real editors nest a few groups deep.
MAX_SVG_DEPTH = 64

# Registering the prefix keeps serialised output readable ("xlink:href" instead of "ns0:href").
ET.register_namespace("xlink", XLINK_NS)

ALLOWED_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "title", "desc", "linearGradient", "radialGradient", "stop", "clipPath",
        "mask", "use", "symbol", "pattern", "filter",
        # Filter primitives that only transform pixels already in the document. feImage is left out
        # on purpose: it loads arbitrary resources.
        "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feFlood", "feComposite",
        "feMerge", "feMergeNode", "feDropShadow", "feMorphology",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = frozenset(
    {
        "id", "class", "version", "viewBox", "preserveAspectRatio", "width", "height",
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points",
        "dx", "dy", "rotate", "textLength", "lengthAdjust", "transform",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
        "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity",
        "color", "visibility", "display", "clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits",
        "maskContentUnits", "gradientUnits", "gradientTransform", "spreadMethod", "offset", "stop-color",
        "stop-opacity", "patternUnits", "patternContentUnits", "patternTransform",
        "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
        "alignment-baseline", "letter-spacing", "word-spacing", "text-decoration",
        "filter", "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "type",
        "values", "operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "radius",
        "href",  # only local "#id" references, checked below
    }
)  # fmt: skip

_HREF_KEYS = ("href", f"{{{XLINK_NS}}}href")
_URL_REF = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


class ImageRejected(ValueError):
    """The uploaded file is not an acceptable badge image; the message can be shown to the user."""


class XMLTooDeep(ValueError):
    """Elements are nested more than ``MAX_SVG_DEPTH`` levels deep."""


class _DepthLimitedBuilder(ET.TreeBuilder):
    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self.depth, self.max_depth = 0, max_depth

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        if self.depth > self.max_depth:
            raise XMLTooDeep(f"elements are nested more than {self.max_depth} levels deep")
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def parse_untrusted_xml(data: bytes, *, max_depth: int = MAX_SVG_DEPTH) -> ET.Element:
    """Parse XML from a stranger (uploads, baked badges): DTDs, entities and external references are
    forbidden (``DefusedXmlException``) and nesting is bounded while parsing (``XMLTooDeep``), so no
    code that walks the tree recursively can run out of stack. Malformed XML: ``ET.ParseError``."""
    parser = SafeET.DefusedXMLParser(target=_DepthLimitedBuilder(max_depth), forbid_dtd=True,
                                     forbid_entities=True, forbid_external=True)
    parser.feed(data)
    return parser.close()


def validate_badge_image(data: bytes, *, max_bytes: int = 256 * 1024) -> tuple[str, bytes]:
    """Check an uploaded badge image and return ("png" | "svg", bytes safe to store)."""
    if not data:
        raise ImageRejected("The image file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is too large; the limit is {max_bytes // 1024} KB.")
    if data.startswith(PNG_SIGNATURE):
        _validate_png(data)
        # Returned unchanged: re-encoding would alter the pixels and is not needed once it decodes.
        return "png", data
    if _looks_like_xml(data):
        return "svg", sanitize_svg(data)
    raise ImageRejected("Badge images must be PNG or SVG files.")


def _looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _validate_png(data: bytes) -> None:
    # Read the declared size from IHDR ourselves so a decompression bomb is refused before Pillow
    # allocates anything.
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageRejected("The PNG file is damaged (missing header).")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    if width * height > MAX_PIXELS or width > MAX_SIDE or height > MAX_SIDE:
        raise ImageRejected(f"The image is too big; it may be at most {MAX_SIDE}x{MAX_SIDE} pixels.")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat the warning as a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != "PNG":
                    raise ImageRejected("Badge images must be PNG or SVG files.")
                img.verify()  # checks chunk CRCs and structure without decoding
            with Image.open(io.BytesIO(data)) as img:
                size = img.size
                img.load()  # verify() does not inflate IDAT; a corrupt stream only shows up here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("The image is too big to process safely.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageRejected("The PNG file is damaged or could not be read.") from exc
    if size[0] != size[1]:
        raise ImageRejected(f"Badge images must be square; this one is {size[0]}x{size[1]} pixels.")
    if size[0] < MIN_SIZE:
        raise ImageRejected(f"Badge images must be at least {MIN_SIZE}x{MIN_SIZE} pixels.")


def parse_svg(data: bytes) -> ET.Element:
    """Parse untrusted SVG with DTDs, entities and external references all forbidden."""
    try:
        root = parse_untrusted_xml(data)
    except DefusedXmlException as exc:
        raise ImageRejected("SVG files may not contain DTDs or entity declarations.") from exc
    except XMLTooDeep as exc:
        raise ImageRejected(f"The SVG image is too complex: {exc}.") from exc
    except (ET.ParseError, ValueError, UnicodeDecodeError) as exc:
        raise ImageRejected("The SVG file is not well-formed XML.") from exc
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise ImageRejected("The file is not an SVG image.")
    return root


def sanitize_svg(data: bytes) -> bytes:
    """Return a copy of the SVG keeping only allow-listed elements and attributes.

    Works on the parsed tree (never regexes over markup), so odd spellings or encodings of a tag
    cannot slip through. Unknown elements are dropped with everything inside them.
    """
    root = parse_svg(data)
    _clean_element(root)
    _check_svg_size(root)
    # ElementTree's default_namespace option rejects un-namespaced *attributes*, so the SVG namespace
    # is written as a literal xmlns on the root and element tags are kept unqualified.
    root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_local_ref(value: str) -> bool:
    return value.strip().startswith("#")


def _safe_attribute_value(value: str) -> bool:
    compact = re.sub(r"\s+", "", value).lower()
    if any(scheme in compact for scheme in _DANGEROUS_SCHEMES):
        return False
    # fill="url(...)", filter="url(...)" etc. must point inside the document, never at a remote file.
    return all(ref.startswith("#") for ref in _URL_REF.findall(value)) and "@import" not in compact


def _clean_element(elem: ET.Element) -> None:
    # Only SVG-namespace (or unqualified) elements reach here; they are written unqualified under the
    # root's xmlns, so SVG authored without xmlns comes out as proper SVG too.
    elem.tag = _local(elem.tag)
    clean: dict[str, str] = {}
    for key, value in elem.attrib.items():
        ns, name = _namespace(key), _local(key)
        if key in _HREF_KEYS:
            if _is_local_ref(value) and _safe_attribute_value(value):
                clean[key] = value.strip()
            continue
        if ns == XML_NS and name == "space":
            clean[key] = value
            continue
        if ns or name not in ALLOWED_ATTRIBUTES or name.lower().startswith("on"):
            continue
        if _safe_attribute_value(value):
            clean[key] = value
    elem.attrib.clear()
    elem.attrib.update(clean)

    for child in list(elem):
        if not _child_allowed(child):
            # The tail is text *after* the removed element; outside <text> it is not rendered, and
            # keeping it alone would be confusing, so it goes too.
            elem.remove(child)
            continue
        _clean_element(child)


def _child_allowed(child: ET.Element) -> bool:
    if not isinstance(child.tag, str):  # comments / processing instructions
        return False
    if _namespace(child.tag) not in ("", SVG_NS):
        return False
    name = _local(child.tag)
    if name not in ALLOWED_ELEMENTS or name == "svg":  # nested <svg> adds nothing a <g> cannot do
        return False
    if name == "use":
        hrefs = [href for k in _HREF_KEYS if (href := child.get(k)) is not None]
        # <use> pointing at another document would pull in unsanitised content.
        return bool(hrefs) and all(_is_local_ref(h) for h in hrefs)
    return True


def _length(value: str | None) -> float | None:
    if value is None:
        return None
    match = _LENGTH.match(value)
    return float(match.group(1)) if match else None  # %, em, mm ... cannot be judged, so skipped


def _check_svg_size(root: ET.Element) -> None:
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is not None and height is not None:
        if width != height:
            raise ImageRejected("Badge images must be square (the SVG width and height differ).")
        if width < MIN_SIZE:
            raise ImageRejected(f"Badge images must be at least {MIN_SIZE}x{MIN_SIZE} pixels.")
        return
    view_box = root.get("viewBox")
    if view_box:
        parts = re.split(r"[\s,]+", view_box.strip())
        try:
            vb_width, vb_height = float(parts[2]), float(parts[3])
        except (IndexError, ValueError) as exc:
            raise ImageRejected("The SVG viewBox is invalid.") from exc
        if vb_width <= 0 or vb_height <= 0 or abs(vb_width - vb_height) > 1e-6 * max(vb_width, vb_height):
            raise ImageRejected("Badge images must be square (the SVG viewBox is not square).")
    # No size information at all: a scalable drawing, accepted.


def svg_to_png(svg: bytes, size: int = 512) -> bytes:
    """Render an SVG to a square PNG (used where PNG is needed, e.g. for baking or e-mail)."""
    # Sanitise again even if stored content was already cleaned: it is cheap and means the renderer
    # never sees external references, whatever path the bytes came from.
    cleaned = sanitize_svg(svg)
    import cairosvg  # libcairo: about 5 MB, loaded where an SVG is rendered, not in every web worker

    try:
        return cairosvg.svg2png(bytestring=cleaned, output_width=size, output_height=size, unsafe=False)
    except Exception as exc:  # cairosvg raises a wide variety of errors on odd input
        raise ImageRejected("The SVG image could not be rendered.") from exc
