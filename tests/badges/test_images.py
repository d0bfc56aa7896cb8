"""Badge image upload checks: PNG validation, SVG sanitising (XSS corpus) and SVG rendering."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from badges.images import ImageRejected, sanitize_svg, svg_to_png, validate_badge_image

SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">'


def make_png(width: int = 128, height: int = 128) -> bytes:
    img = Image.new("RGBA", (width, height), (10, 120, 200, 255))
    img.putpixel((3, 5), (255, 0, 0, 128))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def svg(body: str, open_tag: str = SVG_OPEN) -> bytes:
    return f"{open_tag}{body}</svg>".encode()


def test_valid_png_accepted_unchanged():
    png = make_png()
    assert validate_badge_image(png) == ("png", png)


@pytest.mark.parametrize(("width", "height"), [(128, 100), (50, 50)])
def test_non_square_or_small_png_rejected(width, height):
    with pytest.raises(ImageRejected):
        validate_badge_image(make_png(width, height))


def test_png_too_many_bytes_rejected():
    with pytest.raises(ImageRejected, match="too large"):
        validate_badge_image(make_png(), max_bytes=100)


def test_png_declaring_huge_dimensions_rejected_before_decoding():
    png = bytearray(make_png())
    png[16:24] = (50000).to_bytes(4, "big") * 2  # IHDR width/height of a decompression bomb
    with pytest.raises(ImageRejected, match="too big"):
        validate_badge_image(bytes(png))


@pytest.mark.parametrize(
    "data", [make_png()[:60], b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"GIF89a....", b"\x00\xff" * 50]
)
def test_garbage_rejected(data):
    with pytest.raises(ImageRejected):
        validate_badge_image(data)


def test_svg_accepted_and_keeps_safe_content():
    data = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient>'
        '<circle id="c" r="5"/></defs>'
        '<circle cx="50" cy="50" r="40" fill="url(#g)"/><use xlink:href="#c" x="10"/>'
        '<text x="10" y="20">Hello &amp; welcome</text>'
    )
    kind, cleaned = validate_badge_image(data)
    assert kind == "svg"
    text = cleaned.decode()
    assert 'fill="url(#g)"' in text
    assert 'xlink:href="#c"' in text
    assert "Hello &amp; welcome" in text
    assert 'xmlns="http://www.w3.org/2000/svg"' in text


ENTITY_SVG = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>'
)


@pytest.mark.parametrize("data", [ENTITY_SVG, BILLION_LAUGHS, EXTERNAL_ENTITY, b"<svg><unclosed></svg>", b"<html/>"])
def test_hostile_or_broken_svg_rejected(data):
    with pytest.raises(ImageRejected):
        validate_badge_image(data)


XSS_SAMPLES = {
    "script": '<script>alert(1)</script><circle r="5"/>',
    "script_cdata": '<script type="text/javascript"><![CDATA[alert(1)]]></script>',
    "onload_root": None,  # handled via open tag below
    "onclick_child": '<rect width="10" height="10" onclick="alert(1)" ONMOUSEOVER="alert(2)"/>',
    "foreign_iframe": '<foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject>',
    "xlink_js": '<use xlink:href="javascript:alert(1)"/>',
    "href_data": '<use href="data:text/html;base64,PHNjcmlwdD4="/>',
    "a_js": '<a href="javascript:alert(1)"><text>click</text></a>',
    "style_import": '<style>@import url(http://evil/x.css);</style><g style="background:url(http://evil/y)"/>',
    "set_href": '<a><set attributeName="href" to="javascript:alert(1)"/></a>',
    "animate_values": '<animate attributeName="href" values="javascript:alert(1)"/>',
    "use_remote": '<use href="http://evil/x.svg#a"/>',
    "image_remote": '<image href="http://evil/x.png" width="10" height="10"/>',
    "fill_remote": '<rect width="5" height="5" fill="url(http://evil/x.svg#g)" filter="url(\'http://evil/f\')"/>',
    "nested_svg_onload": '<g><svg onload="alert(1)"><circle r="1"/></svg></g>',
    "namespaced_html": '<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>',
    "feimage": '<filter id="f"><feImage href="http://evil/x"/></filter>',
}


@pytest.mark.parametrize("name", sorted(XSS_SAMPLES))
def test_svg_xss_samples_sanitised(name):
    if name == "onload_root":
        data = svg('<circle r="5"/>', SVG_OPEN.replace("viewBox", 'onload="alert(1)" viewBox'))
    else:
        data = svg(XSS_SAMPLES[name])
    out = sanitize_svg(data).decode()
    lowered = out.lower()
    assert "script" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"\son[a-z]+\s*=", lowered)
    assert "foreignobject" not in lowered
    assert "http://evil" not in lowered
    assert "data:" not in lowered
    assert "<style" not in lowered
    assert "style=" not in lowered


@pytest.mark.parametrize(
    "open_tag",
    [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">',
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="100">',
        '<svg xmlns="http://www.w3.org/2000/svg" width="50px" height="50px">',
    ],
)
def test_svg_not_square_or_too_small_rejected(open_tag):
    with pytest.raises(ImageRejected):
        sanitize_svg(svg('<circle r="5"/>', open_tag))


def test_svg_without_size_info_accepted_and_unqualified_svg_gets_namespace():
    out = sanitize_svg(b'<svg><circle r="5"/></svg>').decode()
    assert 'xmlns="http://www.w3.org/2000/svg"' in out
    assert "<circle" in out


def test_svg_to_png_renders_512_square():
    png = svg_to_png(svg('<circle cx="50" cy="50" r="40" fill="#c00"/><image href="http://evil/x.png"/>'))
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG"
        assert img.size == (512, 512)
    kind, _ = validate_badge_image(png, max_bytes=10 * 1024 * 1024)
    assert kind == "png"


def _nested_svg(depth: int) -> bytes:
    return (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' + b"<g>" * depth
            + b'<rect width="50" height="50" fill="red"/>' + b"</g>" * depth + b"</svg>")


@pytest.mark.parametrize("depth", [64, 5000, 50_000])
def test_svg_nested_too_deeply_is_rejected_with_the_reason(depth):
    with pytest.raises(ImageRejected, match="^The SVG image is too complex: elements are nested more than 64 levels"):
        validate_badge_image(_nested_svg(depth), max_bytes=10 * 1024 * 1024)


def test_svg_nested_just_within_the_limit_is_sanitised_and_rendered():
    kind, cleaned = validate_badge_image(_nested_svg(62))
    assert kind == "svg"
    assert cleaned.count(b"<g>") == 62
    assert svg_to_png(cleaned).startswith(b"\x89PNG")
