"""A college's colours, made readable: WCAG 2.2 contrast (relative luminance, ratio) and the pairing of the
college's colour with a text colour that meets AA (4.5:1) on it, and a shade of it that meets AA as text on
white (links, outlined buttons). Every page and email that shows a college's colour takes it from here,
so a pale brand colour never puts white text on yellow, nor yellow links on white."""

from __future__ import annotations

from dataclasses import dataclass

AA_TEXT = 4.5  # WCAG 2.2 AA, normal-size text
WHITE, INK = "#ffffff", "#111827"


def _channels(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"{colour!r} is not a #rrggbb colour")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of a #rrggbb colour: 0 for black, 1 for white."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(colour: str) -> str:
    """The text colour for text on ``colour``: white or near-black, whichever contrasts more (one of them
    always reaches 4.5:1, except on a few mid greys, where black does)."""
    best = max((WHITE, INK), key=lambda text: contrast_ratio(colour, text))
    return best if contrast_ratio(colour, best) >= AA_TEXT else "#000000"


def ink_on_white(colour: str) -> str:
    """``colour`` itself if it reads as text on white (4.5:1), otherwise the lightest darker shade of it
    that does: the same hue, so links still look like the college's."""
    r, g, b = _channels(colour)
    for step in range(101):
        factor = 1 - step / 100
        shade = f"#{round(r * factor):02x}{round(g * factor):02x}{round(b * factor):02x}"
        if contrast_ratio(shade, WHITE) >= AA_TEXT:
            return shade
    return "#000000"  # not reached: black is 21:1


@dataclass(frozen=True)
class Brand:
    """What a page or an email needs to show a college's colour readably."""

    colour: str  # the college's own colour: backgrounds (the bar, the certificate's frame, buttons)
    text: str  # text on ``colour``
    ink: str  # ``colour`` as text on white (links, outlined buttons)

    @property
    def text_contrast(self) -> float:
        return round(contrast_ratio(self.colour, self.text), 2)


def brand_of(colour: str) -> Brand:
    return Brand(colour=colour.lower(), text=text_on(colour), ink=ink_on_white(colour))
