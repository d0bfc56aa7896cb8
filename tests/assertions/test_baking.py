"""Baking an assertion into PNG/SVG and reading it back (verification's unbake step)."""

from __future__ import annotations

import io
import json
import os
import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from assertions.baking import BakingError, bake_png, bake_svg, bake_svg_parsed, png_chunks
from credentials.baking import bake_svg_credential, bake_svg_credential_parsed
from verification.baked import UnbakeError, read_baked

ASSERTION = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://badges.example/assertions/1",
        "narrative": "Über ]]> tricky <b>&</b> ✓",
    },
    ensure_ascii=False,
)
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpZCI6IjEifQ.c2lnbmF0dXJl"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">\n  <circle cx="50" cy="50" r="40"/>\n</svg>'


def make_png(size: int = 128) -> bytes:
    img = Image.new("RGBA", (size, size), (0, 90, 160, 255))
    for i in range(size):
        img.putpixel((i, i), (255, i % 256, 0, 200))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def pixels(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as img:
        return img.convert("RGBA").tobytes()


def openbadges_chunks(png: bytes) -> list[bytes]:
    return [t for t, body, _ in png_chunks(png) if body.startswith(b"openbadges\x00")]


def crc_ok(png: bytes) -> bool:
    return all(zlib.crc32(raw[4:-4]) & 0xFFFFFFFF == int.from_bytes(raw[-4:], "big") for _t, _b, raw in png_chunks(png))


@pytest.mark.parametrize("payload", [ASSERTION, JWS, "https://badges.example/assertions/1"])
def test_png_round_trip(payload):
    png = make_png()
    baked = bake_png(png, payload)
    assert read_baked(baked) == payload
    assert [t for t, _b, _r in png_chunks(baked)][:2] == [b"IHDR", b"iTXt"]
    assert crc_ok(baked)
    assert pixels(baked) == pixels(png)
    with Image.open(io.BytesIO(baked)) as img:  # an independent reader agrees
        img.load()
        assert img.text["openbadges"] == payload


def test_png_baking_twice_leaves_one_chunk():
    baked = bake_png(bake_png(make_png(), "first"), JWS)
    assert openbadges_chunks(baked) == [b"iTXt"]
    assert read_baked(baked) == JWS


def test_png_rebake_replaces_legacy_text_chunk():
    png = make_png()
    legacy = b"openbadges\x00https://old.example/a/1"
    chunk = (
        len(legacy).to_bytes(4, "big")
        + b"tEXt"
        + legacy
        + (zlib.crc32(b"tEXt" + legacy) & 0xFFFFFFFF).to_bytes(4, "big")
    )
    old = png[:33] + chunk + png[33:]
    assert read_baked(old) == "https://old.example/a/1"
    assert openbadges_chunks(bake_png(old, JWS)) == [b"iTXt"]


def _itxt(flag: int, text: bytes) -> bytes:
    body = b"openbadges\x00" + bytes([flag, 0]) + b"en\x00\x00" + text
    return len(body).to_bytes(4, "big") + b"iTXt" + body + b"\x00\x00\x00\x00"  # bad CRC is tolerated


def test_read_compressed_itxt_and_bounded_inflate():
    png = make_png()
    ok = png[:33] + _itxt(1, zlib.compress(ASSERTION.encode())) + png[33:]
    assert read_baked(ok) == ASSERTION
    bomb = png[:33] + _itxt(1, zlib.compress(b"a" * (20 * 1024 * 1024))) + png[33:]
    with pytest.raises(UnbakeError, match="too large"):
        read_baked(bomb)


def test_svg_hosted_round_trip():
    url = "https://badges.example/assertions/1"
    baked = bake_svg(SVG, ASSERTION, verify_url=url, signed=False)
    text = baked.decode()
    assert 'xmlns:openbadges="http://openbadges.org"' in text
    assert f'<openbadges:assertion verify="{url}"><![CDATA[' in text
    assert 'xmlns="http://www.w3.org/2000/svg"' in text
    assert read_baked(baked) == ASSERTION
    root_children = text.split("?>", 1)[1]
    assert root_children.index("<openbadges:assertion") < root_children.index("<circle")


def test_svg_signed_round_trip_and_rebake_once():
    baked = bake_svg(SVG, JWS, verify_url=None, signed=True)
    assert read_baked(baked) == JWS
    again = bake_svg(baked, JWS, verify_url=None, signed=True)
    assert again.decode().count("<openbadges:assertion") == 1
    assert read_baked(again) == JWS


def test_svg_without_body_returns_verify_url():
    data = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://badges.example/a/1"/></svg>'
    )
    assert read_baked(data) == "https://badges.example/a/1"


def test_hosted_svg_requires_url():
    with pytest.raises(BakingError):
        bake_svg(SVG, ASSERTION, verify_url=None, signed=False)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'
)


def _bad_inputs() -> list[bytes]:
    png = bake_png(make_png(), ASSERTION)
    many = png[:33] + b"\x00\x00\x00\x00abCd\x00\x00\x00\x00" * 20_000 + png[33:]
    return [
        b"",
        os.urandom(4096),
        b"\x89PNG\r\n\x1a\n" + os.urandom(200),
        png[:40],
        png[: len(png) // 2],
        png[:-5],
        make_png(),  # valid image, nothing baked
        many,
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>',
        BILLION_LAUGHS,
        b"<svg><unclosed></svg>",
        SVG,
        b"<svg xmlns:openbadges='http://openbadges.org'><openbadges:assertion/></svg>",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x20iTXtopenbadges\x00\x01\x05",
    ]


@pytest.mark.parametrize("index", range(len(_bad_inputs())))
def test_read_baked_garbage_raises_unbake_error_only(index):
    with pytest.raises(UnbakeError):
        read_baked(_bad_inputs()[index])


def test_read_baked_size_limit():
    with pytest.raises(UnbakeError, match="too large"):
        read_baked(bake_png(make_png(), JWS), max_bytes=100)


def test_fuzz_mutated_baked_png_never_raises_other_errors():
    rng = random.Random(1234)
    baked = bytearray(bake_png(make_png(), ASSERTION))
    for _ in range(500):
        mutated = bytearray(baked)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        try:
            read_baked(bytes(mutated))
        except UnbakeError:
            pass


def test_bake_png_rejects_broken_png():
    with pytest.raises(BakingError):
        bake_png(b"not a png", JWS)


# --- a cohort's SVG bakes come from the badge's frame: the same bytes as parsing and writing each ---

SVGS = [
    SVG,
    b'<svg xmlns="http://www.w3.org/2000/svg"/>',
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'width="10"><g id="a"><use xlink:href="#a"/></g>\n<text>Caf\xc3\xa9 &amp; co</text></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg">  <title>zzbpverifyzz</title><rect width="1" height="1"/></svg>',
]
ODD = st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=8) | st.sampled_from(
    ['"', "&", "<", ">", "]]>", "\n", "\r", "\t", "'", "zzbpverifyzz", "zzbptextzz"]), max_size=6).map("".join)


@settings(max_examples=150, deadline=None)
@given(svg=st.sampled_from(SVGS), payload=ODD, url=ODD, signed=st.booleans(), twice=st.booleans())
def test_an_svg_bake_from_the_frame_is_the_parsed_bake_byte_for_byte(svg, payload, url, signed, twice):
    verify_url = None if signed else f"https://badges.example/public/assertions/{url}"
    if twice:  # re-baking an image that already carries an assertion
        svg = bake_svg_parsed(svg, "earlier", verify_url="https://badges.example/x", signed=False)
    assert bake_svg(svg, payload, verify_url=verify_url, signed=signed) == bake_svg_parsed(
        svg, payload, verify_url=verify_url, signed=signed)


@settings(max_examples=100, deadline=None)
@given(svg=st.sampled_from(SVGS), credential=ODD, twice=st.booleans())
def test_an_ob3_svg_bake_from_the_frame_is_the_parsed_bake_byte_for_byte(svg, credential, twice):
    if twice:
        svg = bake_svg_credential_parsed(svg, '{"earlier": true}')
    assert bake_svg_credential(svg, credential) == bake_svg_credential_parsed(svg, credential)


def test_a_broken_svg_is_refused_by_the_framed_bake_too():
    with pytest.raises(BakingError):
        bake_svg(b"<svg", "{}", verify_url="https://badges.example/x", signed=False)
