"""The badge designer: a badge image made in the browser from a few choices (a shape, a colour, an accent,
an icon from the bundled Lucide set, one or two lines of text), drawn here, by our code, as SVG.

Nothing the user types becomes markup: the choices are checked against fixed lists, colours against a
pattern, and the text goes into text nodes that ElementTree escapes. The drawing is then passed through
the same checks as an uploaded image (``validate_badge_image``) by whoever stores it, and the PNG comes
from the SVG as for any upload.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 -- builds our own tree; the icon files are parsed with defusedxml
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from math import cos, pi, sin
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from badges.images import SVG_NS, parse_untrusted_xml
from issuers.branding import text_on

ICON_DIR = Path(settings.BASE_DIR) / "static" / "icons" / "lucide"
SHAPES = {"circle": "Circle", "shield": "Shield", "hexagon": "Hexagon", "rosette": "Rosette",
          "square": "Rounded square"}
MAX_LINE = {1: 18, 2: 24}  # characters: what fits across the badge at a readable size
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The icon files' drawing elements and the geometry we copy from them; nothing else is taken.
_ICON_ELEMENTS = {"path", "circle", "rect", "line", "polyline", "polygon", "ellipse"}
_ICON_ATTRIBUTES = {"d", "cx", "cy", "r", "x", "y", "width", "height", "rx", "ry", "x1", "y1", "x2", "y2",
                    "points"}
SIZE = 512
# A design's choices, as the form (design_<name>) and the preview (?<name>=) name them.
FIELDS = ("shape", "colour", "accent", "icon", "line1", "line2")


@dataclass(frozen=True)
class Design:
    shape: str
    colour: str
    accent: str
    icon: str
    line1: str = ""
    line2: str = ""


@lru_cache(maxsize=1)
def icon_names() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in ICON_DIR.glob("*.svg")))


@lru_cache(maxsize=64)
def _icon_shapes(name: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The icon's drawing elements as (tag, geometry attributes), read once from the bundled file."""
    root = parse_untrusted_xml((ICON_DIR / f"{name}.svg").read_bytes())
    shapes = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in _ICON_ELEMENTS:
            shapes.append((tag, tuple((k, v) for k, v in element.attrib.items() if k in _ICON_ATTRIBUTES)))
    return tuple(shapes)


def design_from(data: Mapping[str, str], *, default_colour: str = "#1d4ed8") -> Design:
    """A design from submitted choices (``shape``, ``colour``, ``accent``, ``icon``, ``line1``, ``line2``),
    each checked; ValidationError with every problem, by field."""
    errors: dict[str, str] = {}
    shape = data.get("shape") or "circle"
    if shape not in SHAPES:
        errors["shape"] = "Choose one of the shapes."
    colour = data.get("colour") or default_colour
    accent = data.get("accent") or "#ffffff"
    for field, value in (("colour", colour), ("accent", accent)):
        if not _COLOUR.match(value):
            errors[field] = "Use a colour such as #1d4ed8."
    icon = data.get("icon") or "award"
    if icon not in icon_names():
        errors["icon"] = "Choose one of the icons."
    lines = {}
    for number in (1, 2):
        text = " ".join((data.get(f"line{number}") or "").split())
        if len(text) > MAX_LINE[number]:
            errors[f"line{number}"] = f"At most {MAX_LINE[number]} characters fit on line {number}."
        if any(ord(c) < 32 for c in text):
            errors[f"line{number}"] = "Use letters, digits and punctuation only."
        lines[number] = text
    if errors:
        raise ValidationError(errors)
    return Design(shape=shape, colour=colour.lower(), accent=accent.lower(), icon=icon, line1=lines[1],
                  line2=lines[2])


def _points(count: int, outer: float, inner: float | None = None, *, turn: float = -pi / 2) -> str:
    """A regular polygon (or a star, with ``inner``) around the centre, as SVG points."""
    corners = count * (2 if inner else 1)
    points = []
    for i in range(corners):
        radius = outer if not inner or i % 2 == 0 else inner
        angle = turn + 2 * pi * i / corners
        points.append(f"{SIZE / 2 + radius * cos(angle):.1f},{SIZE / 2 + radius * sin(angle):.1f}")
    return " ".join(points)


def _shape(parent: ET.Element, design: Design) -> None:
    style = {"fill": design.colour, "stroke": design.accent, "stroke-width": "16", "stroke-linejoin": "round"}
    if design.shape == "circle":
        ET.SubElement(parent, "circle", {"cx": "256", "cy": "256", "r": "236", **style})
    elif design.shape == "shield":
        d = "M256 20 L468 84 V236 C468 364 380 452 256 494 C132 452 44 364 44 236 V84 Z"
        ET.SubElement(parent, "path", {"d": d, **style})
    elif design.shape == "hexagon":
        ET.SubElement(parent, "polygon", {"points": _points(6, 240), **style})
    elif design.shape == "rosette":
        ET.SubElement(parent, "polygon", {"points": _points(16, 248, 214, turn=0), **style})
    else:
        ET.SubElement(parent, "rect", {"x": "28", "y": "28", "width": "456", "height": "456", "rx": "80", **style})


def _font_size(text: str, widest: float, largest: int) -> int:
    """A size at which ``text`` fits ``widest`` pixels (about 0.6 em per character), at most ``largest``."""
    return max(18, min(largest, int(widest / (0.6 * max(len(text), 1)))))


def design_svg(design: Design) -> bytes:
    """The design drawn as a square SVG (512 × 512)."""
    ink = text_on(design.colour)
    root = ET.Element("svg", {"xmlns": SVG_NS, "width": str(SIZE), "height": str(SIZE),
                              "viewBox": f"0 0 {SIZE} {SIZE}"})
    title = ET.SubElement(root, "title")
    title.text = " ".join(t for t in (design.line1, design.line2) if t) or design.icon.replace("-", " ")
    _shape(root, design)
    lines = [t for t in (design.line1, design.line2) if t]
    scale, top = (8.0, 86) if lines else (11.0, 124)
    icon = ET.SubElement(root, "g", {
        "transform": f"translate({SIZE / 2 - 12 * scale:.1f} {top}) scale({scale})", "fill": "none", "stroke": ink,
        "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round"})
    for tag, attributes in _icon_shapes(design.icon):
        ET.SubElement(icon, tag, dict(attributes))
    font = {"font-family": "DejaVu Sans, Verdana, Arial, sans-serif", "font-weight": "bold", "fill": ink,
            "text-anchor": "middle"}
    y = 350
    for number, text in enumerate(lines, start=1):
        size = _font_size(text, 340 if number == 1 else 300, 46 if number == 1 else 32)
        element = ET.SubElement(root, "text", {"x": "256", "y": str(y), "font-size": str(size), **font})
        element.text = text
        y += size + 14
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)
