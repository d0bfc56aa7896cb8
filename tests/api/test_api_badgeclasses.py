"""GET/POST /api/v1/badgeclasses/ and GET/PATCH /api/v1/badgeclasses/<id>/."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from badges.models import BadgeClass
from issuers.models import AuditEntry
from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes


def _form(issuer, **overrides):
    form = {
        "issuer": str(issuer.public_id), "name": "First Aid", "description": "Emergency first aid at work.",
        "criteria_narrative": "Passes the **practical** assessment.",
        "alignments": json.dumps([{"targetName": "EFAW", "targetUrl": "https://example.org/efaw"}]),
        "tags": json.dumps(["health", "safety"]), "validity_days": "1095",
        "image": SimpleUploadedFile("badge.png", png_bytes(), content_type="image/png"),
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_create_a_badge_class_with_a_multipart_image(api_a, issuer_a, tenant_a, key_a):
    response = api_a.post_multipart("/api/v1/badgeclasses/", _form(issuer_a))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["issuer"] == str(issuer_a.public_id)
    assert body["tags"] == ["health", "safety"]
    assert body["alignments"][0]["targetName"] == "EFAW"
    assert body["validity_days"] == 1095
    assert body["image_type"] == "png"
    assert body["open_badge_id"].endswith(f"/public/badges/{body['id']}")
    with tenant_scope(tenant_a):
        badge = BadgeClass.objects.get(public_id=body["id"])
        assert badge.image.read() == png_bytes()
        assert AuditEntry.objects.get(action="badge_class.create").actor_label == f"API key {key_a[0].prefix}"


def test_list_badge_classes_shows_only_the_keys_college(api_a, api_b, badge_a, badge_b):
    assert [b["name"] for b in api_a.get("/api/v1/badgeclasses/").json()["results"]] == ["Safe Scaffolding"]
    assert [b["name"] for b in api_b.get("/api/v1/badgeclasses/").json()["results"]] == ["Copper Pipework"]


def test_a_bad_image_is_refused_with_the_reason(api_a, issuer_a):
    not_square = SimpleUploadedFile("wide.png", png_bytes(128)[:40], content_type="image/png")
    response = api_a.post_multipart("/api/v1/badgeclasses/", _form(issuer_a, image=not_square))
    assert response.status_code == 400
    assert "image" in response.json()["errors"]
    garbage = SimpleUploadedFile("x.png", b"GIF89a not a badge", content_type="image/png")
    response = api_a.post_multipart("/api/v1/badgeclasses/", _form(issuer_a, image=garbage))
    assert response.status_code == 400
    assert response.json()["detail"] == "image: Badge images must be PNG or SVG files."


def test_an_image_that_is_too_large_is_refused(api_a, issuer_a):
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), content_type="image/png")
    response = api_a.post_multipart("/api/v1/badgeclasses/", _form(issuer_a, image=big))
    assert response.status_code == 400
    assert "too large" in response.json()["errors"]["image"][0]


def test_malformed_tags_and_alignments_are_refused(api_a, issuer_a):
    response = api_a.post_multipart("/api/v1/badgeclasses/", _form(issuer_a, tags="[not json", alignments=json.dumps(
        [{"targetName": "X"}])))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "JSON list" in errors["tags"][0]
    assert "targetName and targetUrl" in errors["alignments"][0]


def test_missing_image_and_criteria_are_named(api_a, issuer_a):
    response = api_a.post("/api/v1/badgeclasses/", {"issuer": str(issuer_a.public_id), "name": "X",
                                                    "description": "Y"})
    assert response.status_code == 400
    assert "image" in response.json()["errors"]


def test_another_colleges_issuer_cannot_be_named(api_b, issuer_a):
    response = api_b.post_multipart("/api/v1/badgeclasses/", _form(issuer_a))
    assert response.status_code == 400
    assert response.json()["errors"]["issuer"] == [f"No issuer with id {issuer_a.public_id} in your college."]


def test_patch_tags_keeps_the_same_badge_class(api_a, badge_a):
    response = api_a.patch(f"/api/v1/badgeclasses/{badge_a.public_id}/", {"tags": ["scaffold", "height"]})
    assert response.status_code == 200
    assert response.json()["id"] == str(badge_a.public_id)
    assert response.json()["tags"] == ["scaffold", "height"]


def test_patch_the_meaning_of_an_awarded_badge_makes_a_new_version(api_a, badge_a, tenant_a):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge_a, recipient_identity="learner@example.org", notify=False)
    response = api_a.patch(f"/api/v1/badgeclasses/{badge_a.public_id}/", {"name": "Safe Scaffolding (2026)"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] != str(badge_a.public_id)
    assert body["previous_version"] == str(badge_a.public_id)
    assert response["Location"].endswith(f"/api/v1/badgeclasses/{body['id']}/")
    old = api_a.get(f"/api/v1/badgeclasses/{badge_a.public_id}/").json()
    assert old["retired"] is True
    assert old["name"] == "Safe Scaffolding"


def test_patch_a_new_image_by_multipart(api_a, badge_a, tenant_a):
    new_png = png_bytes(colour=(10, 200, 10, 255))
    data = {"image": SimpleUploadedFile("new.png", new_png, content_type="image/png")}
    from django.test.client import MULTIPART_CONTENT, encode_multipart

    body = encode_multipart("BoUnDaRy", data)
    response = api_a.raw("patch", f"/api/v1/badgeclasses/{badge_a.public_id}/", body,
                         MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"))
    assert response.status_code == 200, response.content
    with tenant_scope(tenant_a):
        assert BadgeClass.objects.get(public_id=response.json()["id"]).image.read() == new_png


def test_another_colleges_key_cannot_read_or_change_a_badge_class(api_b, badge_a, tenant_a):
    url = f"/api/v1/badgeclasses/{badge_a.public_id}/"
    assert api_b.get(url).status_code == 404
    assert api_b.patch(url, {"name": "Hijacked"}).status_code == 404
    with tenant_scope(tenant_a):
        assert BadgeClass.objects.get(pk=badge_a.pk).name == "Safe Scaffolding"
