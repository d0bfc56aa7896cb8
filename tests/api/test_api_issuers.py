"""GET/POST /api/v1/issuers/ and GET/PATCH /api/v1/issuers/<id>/."""

from __future__ import annotations

from issuers.models import AuditEntry, Issuer, SigningKey
from issuers.scoping import tenant_scope

NEW_ISSUER = {"name": "Engineering Dept", "url": "https://eng.a.example", "email": "eng@a.example",
              "default_verification": "signed"}


def test_issuers_list_shows_only_the_keys_college(api_a, api_b, issuer_a, issuer_b):
    page = api_a.get("/api/v1/issuers/").json()
    assert page["count"] == 1
    assert [i["id"] for i in page["results"]] == [str(issuer_a.public_id)]
    assert page["results"][0]["open_badge_id"] == f"http://127.0.0.1:8000/public/issuers/{issuer_a.public_id}"
    assert [i["name"] for i in api_b.get("/api/v1/issuers/").json()["results"]] == ["College B Plumbing"]


def test_create_issuer_makes_a_signing_key_and_an_audit_entry_naming_the_key(api_a, tenant_a, key_a):
    response = api_a.post("/api/v1/issuers/", NEW_ISSUER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Engineering Dept"
    assert body["default_verification"] == "signed"
    with tenant_scope(tenant_a):
        issuer = Issuer.objects.get(public_id=body["id"])
        assert issuer.tenant == tenant_a
        assert SigningKey.objects.filter(issuer=issuer, retired_at=None).count() == 1
        entry = AuditEntry.objects.get(action="issuer.create", object_id=body["id"])
    assert entry.actor_label == f"API key {key_a[0].prefix}"


def test_tenant_in_the_payload_is_ignored(api_a, tenant_a, tenant_b):
    response = api_a.post("/api/v1/issuers/", {**NEW_ISSUER, "tenant": tenant_b.pk})
    assert response.status_code == 201
    with tenant_scope(tenant_a):
        assert Issuer.objects.filter(public_id=response.json()["id"]).exists()


def test_create_issuer_with_bad_fields_says_which(api_a):
    response = api_a.post("/api/v1/issuers/", {"name": "", "url": "not a url", "email": "nope",
                                                "default_verification": "carrier pigeon"})
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"name", "url", "email", "default_verification"}
    assert body["detail"].startswith("name:")


def test_create_issuer_with_a_json_list_body_is_a_clear_400(api_a):
    response = api_a.post("/api/v1/issuers/", ["not", "an", "object"])
    assert response.status_code == 400
    assert "dictionary" in response.json()["detail"].lower() or "object" in response.json()["detail"].lower()


def test_get_and_patch_an_issuer(api_a, issuer_a, tenant_a):
    url = f"/api/v1/issuers/{issuer_a.public_id}/"
    assert api_a.get(url).json()["email"] == "badges@a.example"
    response = api_a.patch(url, {"description": "Construction and the built environment."})
    assert response.status_code == 200
    assert response.json()["description"] == "Construction and the built environment."
    assert response.json()["name"] == "College A Construction"  # untouched by a partial update
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.filter(action="issuer.update", object_id=str(issuer_a.public_id)).exists()


def test_patch_an_issuer_with_a_bad_url_is_refused(api_a, issuer_a):
    response = api_a.patch(f"/api/v1/issuers/{issuer_a.public_id}/", {"url": "ftp:/nowhere"})
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


def test_another_colleges_key_cannot_read_or_change_an_issuer(api_b, issuer_a, tenant_a):
    url = f"/api/v1/issuers/{issuer_a.public_id}/"
    response = api_b.get(url)
    assert response.status_code == 404
    assert "in your college" in response.json()["detail"]
    assert api_b.patch(url, {"name": "Hijacked"}).status_code == 404
    with tenant_scope(tenant_a):
        assert Issuer.objects.get(pk=issuer_a.pk).name == "College A Construction"
