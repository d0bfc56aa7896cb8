"""POST /api/v1/verify/ (no account) and the /verify page: shapes, rate limit, garbage, recording."""

from __future__ import annotations

import io
import json
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.baking import PNG_SIGNATURE, bake_png
from assertions.documents import public_url
from issuers.scoping import tenant_scope, unscoped
from issuers.services import api_key_create
from tests.support import RECIPIENT, png_bytes
from verification import ratelimit
from verification.models import VerificationEvent

API = "/api/v1/verify/"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PUBLIC_BASE_URL = "https://badges.invalid"
    settings.VERIFY_RATE_LIMIT = "1000/minute"


def events() -> list[VerificationEvent]:
    with unscoped("test: reading verification events"):
        return list(VerificationEvent.objects.order_by("id"))


def test_anyone_can_verify_a_url_without_an_account(client, issue):
    a = issue()
    response = client.post(API, {"url": public_url("assertions", a.public_id), "recipient": RECIPIENT},
                           content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"valid", "verdict", "checks", "badge", "issuer", "recipient_matched", "checked_at"}
    assert body["valid"] is True
    assert body["recipient_matched"] is True
    assert body["verdict"] == "valid"
    assert all(set(c) == {"name", "passed", "message"} for c in body["checks"])
    assert body["badge"]["name"] == "Bricklaying (png)"
    assert body["issuer"]["name"] == "College A Construction"
    assert RECIPIENT not in response.content.decode()


def test_a_jws_and_a_multipart_image_are_verified(client, issue, baked, tenant_a):
    signed = issue("svg", signed=True)
    image = baked(signed)
    jws = image.decode().split('verify="')[1].split('"')[0]
    assert client.post(API, {"jws": jws}, content_type="application/json").json()["verdict"] == "valid"
    upload = SimpleUploadedFile("badge.svg", image, content_type="image/svg+xml")
    response = client.post(API, {"image": upload, "recipient": "wrong@example.org"})
    assert response.status_code == 200
    body = response.json()
    # Genuine, but someone else's: the authenticity verdict stands, the recipient is its own answer.
    assert (body["verdict"], body["recipient_matched"], body["valid"]) == ("valid", False, False)


def test_an_api_key_is_not_needed_but_does_no_harm(client, issue, tenant_a, alice):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="mis", actor=alice)
    a = issue()
    response = client.post(API, {"url": public_url("assertions", a.public_id)}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.json()["verdict"] == "valid"


def test_over_the_rate_limit_answers_429_with_retry_after(client, settings, db, monkeypatch):
    settings.VERIFY_RATE_LIMIT = "3/minute"
    # The limit is a fixed window: hold the clock in the middle of one, so a slow run cannot cross into the
    # next window mid-test; and count a client address no other test uses (the cache outlives a test).
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)
    here = {"REMOTE_ADDR": "198.51.100.23"}
    body = {"url": "https://badges.invalid/public/assertions/7d2c56a8-4f0e-4a43-9c39-1b0b6a1a8c11"}
    statuses = [client.post(API, body, content_type="application/json", **here).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.post(API, body, content_type="application/json", **here)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 61
    page = client.post("/verify/", {"badge": body["url"]}, **here)  # the page shares the same budget
    assert page.status_code == 429
    assert page["Retry-After"]
    other = client.post(API, body, content_type="application/json", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200  # counted per client address


def _truncated_png() -> bytes:
    return bake_png(png_bytes(), '{"id": "x"}')[:60]


def _svg_with_entities() -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>')


def _zip_bomb_png() -> bytes:
    bomb = zlib.compress(b"A" * (20 * 1024 * 1024), 9)
    body = b"openbadges\x00\x01\x00\x00\x00" + bomb
    import struct

    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    png = png_bytes()
    return png[:33] + chunk + png[33:]


GARBAGE_IMAGES = {
    "random bytes": bytes(range(256)) * 10,
    "empty": b"",
    "png signature only": PNG_SIGNATURE,
    "truncated png": _truncated_png(),
    "png without badge": png_bytes(),
    "svg with entities": _svg_with_entities(),
    "broken svg": b"<svg><g></svg>",
    "zip bomb": _zip_bomb_png(),
    "png holding garbage": bake_png(png_bytes(), "not a badge at all"),
    "png holding a javascript url": bake_png(png_bytes(), "javascript:alert(1)"),
}


@pytest.mark.parametrize("name", GARBAGE_IMAGES)
def test_garbage_images_are_not_valid_with_a_reason(client, db, name):
    upload = SimpleUploadedFile("x.png", GARBAGE_IMAGES[name] or b" ", content_type="image/png")
    response = client.post(API, {"image": upload})
    assert response.status_code in {200, 400}
    body = response.json()
    assert body["verdict"] == "invalid"
    assert body["valid"] is False
    assert body["checks"]
    assert not body["checks"][-1]["passed"]
    assert body["checks"][-1]["message"]
    page = client.post("/verify/", {"image": SimpleUploadedFile("x.png", GARBAGE_IMAGES[name] or b" ")})
    assert page.status_code == 200
    assert b"Not valid" in page.content


GARBAGE_JSON = [
    {"url": 5}, {"jws": ["a"]}, {"jws": "a.b.c"}, {"jws": "x" * 100}, {"url": "file:///etc/passwd"},
    {"url": "not a url"}, {"assertion": "{" * 5000}, {"assertion": "[" * 100000 + "]" * 100000},
    {"assertion": json.dumps({"id": "x" * 300_000})}, {"assertion": {"type": "Assertion", "id": 7}},
    {"assertion": {"type": "Assertion", "id": "javascript:alert(1)"}}, {"assertion": []},
    {"recipient": "a@b.example"}, {}, {"url": "https://a.example/x", "jws": "a.b.c"},
    {"url": "https://badges.invalid/public/assertions/zzz"}, {"recipient": 5, "url": "https://a.example"},
    {"jws": "eyJhbGciOiJub25lIn0.eyJ0eXBlIjoiQXNzZXJ0aW9uIn0."},
]


@pytest.mark.parametrize("payload", GARBAGE_JSON, ids=[str(i) for i in range(len(GARBAGE_JSON))])
def test_garbage_json_is_not_valid_never_a_500(client, db, payload):
    response = client.post(API, payload, content_type="application/json")
    assert response.status_code in {200, 400}
    assert response.json()["verdict"] == "invalid"


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"a string"', b"null", b"{" * 10000])
def test_a_body_that_is_not_a_json_object_is_refused_cleanly(client, db, raw):
    response = client.post(API, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["verdict"] == "invalid"


def test_the_page_verifies_a_pasted_link_and_checks_the_recipient(client, issue):
    a = issue()
    url = public_url("assertions", a.public_id)
    page = client.get("/verify/")
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    result = client.post("/verify/", {"badge": url, "recipient": RECIPIENT})
    assert result.status_code == 200
    assert b"Valid badge" in result.content
    assert b"is the one this badge was issued to" in result.content
    assert RECIPIENT.encode() not in result.content
    assert b"Verify again" in result.content
    qr = client.get("/verify/", {"url": url})  # a QR code lands here with the link
    assert b"Valid badge" in qr.content


def test_the_page_refuses_posts_without_a_csrf_token(issue):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/verify/", {"badge": "https://a.example/x"}).status_code == 403


def test_each_verification_is_recorded_without_personal_data(client, issue, eager, settings):
    a = issue()
    client.post(API, {"url": public_url("assertions", a.public_id), "recipient": RECIPIENT},
                content_type="application/json")
    client.post("/verify/", {"badge": "https://badges.invalid/public/assertions/zzz"})
    client.post("/verify/", {"image": SimpleUploadedFile("x.png", io.BytesIO(png_bytes()).read())})
    recorded = events()
    assert [(e.source, e.verdict) for e in recorded] == [("api", "valid"), ("page", "invalid"), ("image", "invalid")]
    assert recorded[0].tenant_id == a.tenant_id
    assert recorded[0].assertion_public_id == a.public_id
    assert recorded[1].tenant_id is None
    assert recorded[1].assertion_public_id is None
    columns = {f.name for f in VerificationEvent._meta.get_fields()}
    # No address: "visitor" is a keyed hash of the address and the day (tested below).
    assert columns == {"id", "tenant", "assertion_public_id", "verdict", "source", "created_at", "visitor", "day"}


def test_a_badge_counts_one_verification_per_visitor_per_day_and_none_by_its_learner(client, issue, eager):
    from datetime import date

    from django.test import RequestFactory

    from tests.support import make_user
    from verification.visitors import visitor_hash

    a = issue()
    body = {"url": public_url("assertions", a.public_id)}
    for _ in range(3):  # one employer, checking again and again
        assert client.post(API, body, content_type="application/json", REMOTE_ADDR="192.0.2.1").status_code == 200
    client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="text/html", REMOTE_ADDR="192.0.2.1")
    assert len(events()) == 1
    client.post(API, body, content_type="application/json", REMOTE_ADDR="192.0.2.2")  # another employer
    assert len(events()) == 2
    client.force_login(make_user(RECIPIENT))  # the learner checks their own badge, from a new address
    client.post(API, body, content_type="application/json", REMOTE_ADDR="198.51.100.9")
    client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="text/html", REMOTE_ADDR="198.51.100.9")
    recorded = events()
    assert len(recorded) == 2
    visitors = {e.visitor for e in recorded}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
    assert visitor_hash(request, date(2026, 1, 2)) != visitor_hash(request, date(2026, 1, 1))  # unlinkable days
    assert len(visitors) == 2
    assert all(len(v) == 64 and "192.0.2" not in v for v in visitors)


def test_verification_answers_when_the_broker_is_down(client, issue, settings, caplog):
    from badgeplatform.celery import app

    a = issue()
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.conf.broker_connection_timeout = 1
    # New pools for the dead broker. Not force_close_all(): kombu keeps pools in a global registry by
    # broker URL, so the closed pool would come back for the real broker in every later test.
    app._pool = app.amqp._producer_pool = None
    try:
        response = client.post(API, {"url": public_url("assertions", a.public_id)}, content_type="application/json")
    finally:
        app.conf.broker_url = previous
        app._pool = app.amqp._producer_pool = None
    assert response.status_code == 200
    assert response.json()["verdict"] == "valid"
    assert "could not enqueue a verification record" in caplog.text


def test_the_openapi_schema_documents_recipient_matched_beside_the_verdict(client, db):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    ok = schema["paths"]["/api/v1/verify/"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    properties = ok["properties"]
    assert properties["recipient_matched"]["type"] == "boolean"
    assert properties["recipient_matched"]["nullable"] is True
    assert "verdict" in properties["recipient_matched"]["description"]
    assert "collection" in properties
    assert "badges" in properties
