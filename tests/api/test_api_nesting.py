"""Deeply nested JSON is a 400 with the reason on every API endpoint, never a RecursionError (500)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.fixture
def urls(tenant_a, issuer_a, badge_a):
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="learner@example.org")
    return {
        "issuers": "/api/v1/issuers/", "issuer": f"/api/v1/issuers/{issuer_a.public_id}/",
        "badgeclasses": "/api/v1/badgeclasses/", "badgeclass": f"/api/v1/badgeclasses/{badge_a.public_id}/",
        "awards": f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/",
        "bulk": f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/bulk/",
        "revoke": f"/api/v1/assertions/{award.public_id}/revoke/",
    }


@pytest.mark.parametrize(("method", "name"), [
    ("post", "issuers"), ("patch", "issuer"), ("post", "badgeclasses"), ("patch", "badgeclass"),
    ("post", "awards"), ("post", "bulk"), ("post", "revoke"),
])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_a_deeply_nested_body_is_refused_with_the_reason(api_a, urls, method, name, body):
    response = api_a.raw(method, urls[name], body.encode(), "application/json")
    assert response.status_code == 400, response.content
    assert "nested more than 32 levels deep" in response.json()["detail"]


def test_a_deeply_nested_list_inside_a_valid_object_is_refused_too(api_a, urls, issuer_a):
    body = json.dumps({"issuer": str(issuer_a.public_id), "name": "First Aid"})[:-1] + ', "tags": ' + DEEP + "}"
    response = api_a.raw("post", urls["badgeclasses"], body.encode(), "application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels deep" in response.json()["detail"]


def test_deeply_nested_json_in_a_multipart_text_field_is_a_field_error(api_a, urls, issuer_a):
    response = api_a.post_multipart(urls["badgeclasses"], {
        "issuer": str(issuer_a.public_id), "name": "First Aid", "description": "Emergency first aid.",
        "criteria_narrative": "Passes.", "alignments": DEEP, "tags": "[" * 100 + "]" * 100,
        "image": SimpleUploadedFile("badge.png", png_bytes(), content_type="image/png"),
    })
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors["alignments"] == ["The JSON is nested more than 32 levels deep."]
    assert errors["tags"] == ["The JSON is nested more than 32 levels deep."]


def test_an_ordinary_nested_body_is_still_accepted(api_a, urls):
    response = api_a.post(urls["issuers"], {"name": "College A Catering", "url": "https://a.example/catering",
                                            "email": "catering@a.example"})
    assert response.status_code == 201, response.content


def test_an_svg_image_nested_thousands_of_elements_deep_is_refused_with_the_reason(api_a, urls, issuer_a):
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' + b"<g>" * 5000
           + b"</g>" * 5000 + b"</svg>")
    response = api_a.post_multipart(urls["badgeclasses"], {
        "issuer": str(issuer_a.public_id), "name": "First Aid", "description": "Emergency first aid.",
        "criteria_narrative": "Passes.", "image": SimpleUploadedFile("badge.svg", svg, content_type="image/svg+xml"),
    })
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["image"] == [
        "The SVG image is too complex: elements are nested more than 64 levels deep."]
