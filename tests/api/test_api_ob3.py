"""Open Badges 3.0 in the REST API: the badge class's achievement fields, checked, and the
assertion's OB 3.0 URLs, in the representation and in the OpenAPI schema."""

from __future__ import annotations

import yaml

from issuers.scoping import tenant_scope
from tests.support import issue_one


def test_the_api_reads_and_checks_them(api_a, badge_a):
    response = api_a.patch(f"/api/v1/badgeclasses/{badge_a.public_id}/",
                           {"achievement_type": "Course", "credits_available": 2.5, "in_language": "en"})
    assert response.status_code == 200, response.content
    assert response.json()["credits_available"] == 2.5
    assert response.json()["achievement_type"] == "Course"
    bad = api_a.patch(f"/api/v1/badgeclasses/{badge_a.public_id}/",
                      {"achievement_type": "Trophy", "in_language": "English", "credits_available": -1})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) >= {"achievement_type", "in_language", "credits_available"}


def test_the_assertion_carries_its_ob3_urls(api_a, tenant_a, badge_a):
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="ann@example.org")
    body = api_a.get(f"/api/v1/assertions/{award.public_id}/").json()
    base = f"http://127.0.0.1:8000/public/credentials/{award.public_id}"
    assert (body["ob3_credential_url"], body["ob3_jwt_url"], body["ob3_image_url"]) == (
        base, f"{base}/jwt", f"{base}/image")


def test_the_openapi_schema_describes_them(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    assertion = schema["components"]["schemas"]["Assertion"]["properties"]
    for name in ("ob3_credential_url", "ob3_jwt_url", "ob3_image_url"):
        assert assertion[name]["format"] == "uri"
    badge = schema["components"]["schemas"]["BadgeClass"]["properties"]
    assert {"achievement_type", "credits_available", "field_of_study", "human_code", "in_language"} <= set(badge)
