"""The OpenAPI schema and docs, and errors for URLs that are not there."""

from __future__ import annotations

import pytest
import yaml
from drf_spectacular.validation import validate_schema

EXPECTED_PATHS = {
    "/api/v1/issuers/": {"get", "post"},
    "/api/v1/issuers/{public_id}/": {"get", "patch"},
    "/api/v1/badgeclasses/": {"get", "post"},
    "/api/v1/badgeclasses/{public_id}/": {"get", "patch"},
    "/api/v1/badgeclasses/{public_id}/assertions/": {"post"},
    "/api/v1/badgeclasses/{public_id}/assertions/bulk/": {"post"},
    "/api/v1/jobs/{public_id}/": {"get"},
    "/api/v1/assertions/": {"get"},
    "/api/v1/assertions/{public_id}/": {"get"},
    "/api/v1/assertions/{public_id}/revoke/": {"post"},
    "/api/v1/verify/": {"post"},
    "/api/v1/tenant/": {"get"},
}


def test_the_schema_is_valid_openapi_3_listing_every_endpoint(client, db):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # raises on anything that is not valid OpenAPI 3
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Badge Platform API"
    for path, methods in EXPECTED_PATHS.items():
        assert methods <= set(schema["paths"][path]), path
    assert not {p for p in schema["paths"] if p.startswith(("/api/v1/schema", "/api/v1/docs"))}
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["ApiKey"][
            "description"]}
    bulk = schema["paths"]["/api/v1/badgeclasses/{public_id}/assertions/bulk/"]["post"]
    assert set(bulk["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert "202" in bulk["responses"]


def test_the_schema_is_also_served_as_json(client, db):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/assertions/" in response.json()["paths"]


def test_the_docs_page_uses_only_our_own_static_files(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html
    assert "http://" not in html
    assert '"validatorUrl": null' in html


@pytest.mark.parametrize(("path", "hint"), [
    ("/api/v1/assertions/not-a-uuid/", "UUIDs"),
    ("/api/v1/nothing-here/", "/api/v1/docs/"),
    ("/api/v1/assertions", "trailing slash"),
])
def test_unknown_api_urls_are_a_json_404_with_a_hint(client, db, path, hint):
    response = client.get(path)
    assert response.status_code == 404
    assert hint in response.json()["detail"]
