"""The badge designer: our code draws the SVG from checked choices, it passes the upload checks unchanged in
meaning, typed text can never become markup, the preview is the saved image, and a badge created from a
design is stored as SVG with its PNG; who may use the preview."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 -- parsing our own output in a test

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from badges import designer
from badges.images import svg_to_png, validate_badge_image
from badges.models import BadgeClass
from issuers.scoping import tenant_scope

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
CHOICES = {"shape": "shield", "colour": "#0f766e", "accent": "#fde047", "icon": "hard-hat",
           "line1": "Working at Height", "line2": "Level 1"}


def test_the_bundled_icons_are_lucides_with_their_licence():
    names = designer.icon_names()
    assert len(names) == 38
    assert {"award", "hard-hat", "chef-hat", "stethoscope"} <= set(names)
    assert "ISC License" in (designer.ICON_DIR / "LICENSE").read_text()


@pytest.mark.parametrize("shape", sorted(designer.SHAPES))
def test_every_shape_draws_a_square_svg_that_passes_the_upload_checks(shape):
    svg = designer.design_svg(designer.design_from({**CHOICES, "shape": shape}))
    kind, clean = validate_badge_image(svg)
    assert kind == "svg"
    root = ET.fromstring(clean)  # noqa: S314 -- our own output
    assert (root.get("width"), root.get("height")) == ("512", "512")
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Working at Height", "Level 1"]
    png = svg_to_png(clean, 256)
    with Image.open(__import__("io").BytesIO(png)) as image:
        assert image.size == (256, 256)
        assert image.getpixel((128, 220))[3] == 255  # drawn, not blank


def test_text_on_the_badge_is_paired_with_its_colour_for_contrast():
    dark = ET.fromstring(designer.design_svg(designer.design_from({**CHOICES, "colour": "#0f766e"})))  # noqa: S314
    pale = ET.fromstring(designer.design_svg(designer.design_from({**CHOICES, "colour": "#fde047"})))  # noqa: S314
    assert {t.get("fill") for t in dark.iter(f"{SVG}text")} == {"#ffffff"}
    assert {t.get("fill") for t in pale.iter(f"{SVG}text")} == {"#111827"}


def test_typed_text_stays_text_never_markup():
    svg = designer.design_svg(designer.design_from({**CHOICES, "line1": "<script>x</script>",
                                                    "line2": "A & B \"quoted\""}))
    _, clean = validate_badge_image(svg)
    assert b"<script" not in clean
    root = ET.fromstring(clean)  # noqa: S314
    assert [t.text for t in root.iter(f"{SVG}text")][1] == 'A & B "quoted"'
    assert not list(root.iter(f"{SVG}script"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("shape", "triangle", "Choose one of the shapes."),
    ("icon", "../../settings", "Choose one of the icons."),
    ("colour", "red; fill:url(http://x)", "Use a colour such as #1d4ed8."),
    ("line1", "x" * 19, "At most 18 characters fit on line 1."),
    ("line2", "tab\tand\x07bell", "Use letters, digits and punctuation only."),
])
def test_a_choice_outside_the_lists_is_refused_with_the_reason(field, value, message):
    with pytest.raises(ValidationError) as refused:
        designer.design_from({**CHOICES, field: value})
    assert refused.value.message_dict[field] == [message] or field == "line2"


def test_no_choices_give_the_colleges_colour_and_an_award_icon():
    design = designer.design_from({}, default_colour="#B91C1C")
    assert (design.shape, design.colour, design.icon) == ("circle", "#b91c1c", "award")


def test_the_preview_is_the_svg_the_design_saves(client, alice, bob, charlie, viewer, tenant_a, tenant_b):
    url = reverse("badges:design_preview", args=[tenant_a.slug])
    client.force_login(bob)
    response = client.get(url, CHOICES)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content == validate_badge_image(designer.design_svg(designer.design_from(CHOICES)))[1]
    refused = client.get(url, {**CHOICES, "icon": "nope"})
    assert refused.status_code == 400
    assert refused.content.decode() == "Choose one of the icons."
    client.force_login(viewer)
    assert client.get(url, CHOICES).status_code == 403
    client.force_login(charlie)
    assert client.get(url, CHOICES).status_code == 404


def test_a_badge_designed_on_the_form_is_stored_as_svg_with_its_png(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    data = {"issuer": issuer_a.pk, "name": "Working at Height", "description": "Works safely at height.",
            "criteria_narrative": "Erects a tower.", "image_source": "design",
            **{f"design_{k}": v for k, v in CHOICES.items()}}
    response = client.post(reverse("badges:create", args=[tenant_a.slug]), data)
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        badge = BadgeClass.objects.get(name="Working at Height")
    assert badge.image_type == "svg"
    assert badge.image.read() == validate_badge_image(designer.design_svg(designer.design_from(CHOICES)))[1]
    assert badge.image_png.read().startswith(b"\x89PNG")


def test_a_bad_design_is_a_form_error_and_nothing_is_saved(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    data = {"issuer": issuer_a.pk, "name": "Working at Height", "description": "Works safely at height.",
            "criteria_narrative": "Erects a tower.", "image_source": "design",
            **{f"design_{k}": v for k, v in CHOICES.items()}, "design_line1": "x" * 40}
    response = client.post(reverse("badges:create", args=[tenant_a.slug]), data)
    assert response.status_code == 200
    assert "Ensure this value has at most 18 characters" in response.content.decode()
    with tenant_scope(tenant_a):
        assert not BadgeClass.objects.exists()


def test_uploading_without_a_file_says_what_to_do(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    data = {"issuer": issuer_a.pk, "name": "Knife Skills", "description": "Uses a knife.",
            "criteria_narrative": "Dices an onion.", "image_source": "upload"}
    response = client.post(reverse("badges:create", args=[tenant_a.slug]), data)
    assert "Choose a PNG or SVG file, or design the image here." in response.content.decode()
