"""Creating a badge class validates the untrusted image and renders SVG badges to PNG."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from badges.images import ImageRejected
from badges.services import badge_class_create
from issuers.scoping import tenant_scope

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" onload="alert(1)">'
       b'<script>alert(1)</script><rect width="200" height="200" fill="#0a7"/></svg>')


def test_svg_badge_is_sanitised_and_gets_a_png_rendition(tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        badge = badge_class_create(issuer=issuer_a, name="Welding", description="Welds a joint.", image=SVG)
    with badge.image.open("rb") as fh:
        stored = fh.read()
    assert b"script" not in stored
    assert b"onload" not in stored
    with badge.image_png.open("rb") as fh:
        png = Image.open(io.BytesIO(fh.read()))
    assert png.format == "PNG"
    assert png.size[0] == png.size[1] >= 90


def test_small_or_non_square_images_are_refused_with_a_clear_message(tenant_a, issuer_a):
    out = io.BytesIO()
    Image.new("RGB", (200, 100)).save(out, "PNG")
    with tenant_scope(tenant_a), pytest.raises(ImageRejected, match="square"):
        badge_class_create(issuer=issuer_a, name="X", description="Y", image=out.getvalue())


def test_another_tenants_issuer_is_refused(tenant_a, tenant_b, issuer_a):
    with tenant_scope(tenant_b), pytest.raises(ValidationError):
        badge_class_create(issuer=issuer_a, name="X", description="Y", image=SVG)
