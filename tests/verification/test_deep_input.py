"""Deeply nested input reaches the verifier from strangers (no login): JSON a thousand levels deep,
and SVG nested thousands of elements deep. Each is "not valid" with the reason, never a 500."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.baking import bake_png
from tests.support import png_bytes
from tests.support.foreign import ForeignIssuer, Server, b64url
from verification.verifier import verify

API = "/api/v1/verify/"
DEEP = "[" * 1000 + "]" * 1000
DEEP_ASSERTION = '{"type": "Assertion", "id": "https://a.example/1", "extra": ' + DEEP + "}"
DEEP_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">' + b"<g>" * 5000
            + b'<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="https://a.example/1"/>'
            + b"</g>" * 5000 + b"</svg>")


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.VERIFY_RATE_LIMIT = "1000/minute"


def failed_messages(body: dict) -> list[str]:
    return [c["message"] for c in body["checks"] if not c["passed"]]


@pytest.mark.parametrize("raw", [DEEP, '{"assertion": ' + DEEP + "}", '{"assertion": {"a": ' + DEEP + "}}"])
def test_a_deeply_nested_body_to_the_verify_api_is_refused_with_the_reason(client, db, raw):
    response = client.post(API, raw.encode(), content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["verdict"] == "invalid"
    assert failed_messages(body) == ["The request body is not valid JSON or multipart form data: "
                                     "The JSON is nested more than 32 levels deep."]


def test_deeply_nested_assertion_text_is_not_valid_with_the_reason(client, db):
    response = client.post(API, {"assertion": DEEP_ASSERTION}, content_type="application/json")
    assert response.status_code == 200
    assert failed_messages(response.json()) == [
        "The text is not valid JSON: the JSON is nested more than 32 levels deep."]
    page = client.post("/verify/", {"badge": DEEP_ASSERTION})
    assert page.status_code == 200
    assert b"Not valid" in page.content
    assert b"nested more than 32 levels deep" in page.content


def test_a_signed_badge_with_a_deeply_nested_payload_is_not_valid(db):
    header = b64url(json.dumps({"alg": "RS256"}).encode())
    jws = f"{header}.{b64url(DEEP_ASSERTION.encode())}.{b64url(b'sig')}"
    result = verify(jws=jws)
    assert result.verdict == "invalid"
    assert "damaged" in result.checks[-1].message


def test_a_png_baked_with_deeply_nested_json_is_not_valid(client, db):
    upload = SimpleUploadedFile("b.png", bake_png(png_bytes(), DEEP_ASSERTION), content_type="image/png")
    response = client.post(API, {"image": upload})
    assert response.status_code == 200
    assert "nested more than 32 levels deep" in failed_messages(response.json())[0]


def test_an_svg_nested_thousands_of_elements_deep_is_not_valid_with_the_reason(client, db):
    upload = SimpleUploadedFile("b.svg", DEEP_SVG, content_type="image/svg+xml")
    response = client.post(API, {"image": upload})
    assert response.status_code == 200
    assert failed_messages(response.json()) == [
        "The SVG file cannot be read: elements are nested more than 64 levels deep."]
    page = client.post("/verify/", {"image": SimpleUploadedFile("b.svg", DEEP_SVG)})
    assert page.status_code == 200
    assert b"nested more than 64 levels deep" in page.content


def test_a_foreign_document_nested_too_deeply_is_not_valid_with_the_reason(settings, db):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True
    server = Server()
    try:
        northgate = ForeignIssuer(server)
        doc = northgate.assertion("1")
        server.routes["/badge"] = (200, {"Content-Type": "application/ld+json"},
                                   json.dumps({"type": "BadgeClass"})[:-1].encode() + b', "x": ' + DEEP.encode()
                                   + b"}")
        result = verify(url=doc["id"])
    finally:
        server.close()
    assert result.verdict == "invalid"
    assert result.checks[-1].message == (f"The badge at {northgate.badge_url} is not an Open Badges JSON document: "
                                         "the JSON is nested more than 32 levels deep.")
