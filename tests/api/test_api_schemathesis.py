"""Schemathesis against our own OpenAPI schema (drf-spectacular at /api/v1/schema/), in-process over
WSGI, with a tenant API key: for every operation, requests that fit the schema and requests that do
not; the promise checked is that none answers 5xx (tests.support.openapi). Run alone with ``make api-fuzz``.

Nothing leaves the machine: the verifier's outbound fetches are refused before any DNS lookup
(generated badge URLs name hosts on the internet)."""

from __future__ import annotations

import pytest

from issuers.scoping import tenant_scope
from tests.support import issue_one
from tests.support.openapi import generated_server_errors, operations, wsgi_schema
from verification import fetch


@pytest.fixture
def api_schema(db, settings, monkeypatch):
    settings.VERIFY_RATE_LIMIT = "100000/minute"

    def no_network(host: str, port: int, **kwargs: object) -> str:
        raise fetch.FetchError(f"{host}: the test suite makes no outbound requests.")

    monkeypatch.setattr(fetch, "resolve", no_network)
    return wsgi_schema("/api/v1/schema/?format=json")


def test_no_generated_request_gets_a_server_error(api_schema, tenant_a, key_a, issuer_a, badge_a):
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="learner@example.org")
    ids = {"/api/v1/issuers/": str(issuer_a.public_id), "/api/v1/badgeclasses/": str(badge_a.public_id),
           "/api/v1/assertions/": str(award.public_id)}

    def real_ids(path: str) -> dict[str, str] | None:
        """Generated UUIDs find nothing (404); the college's own issuer, badge class and award get past it."""
        for prefix, public_id in ids.items():
            if path.startswith(prefix + "{public_id}"):
                return {"public_id": public_id}
        return None

    assert len(operations(api_schema)) >= 10  # every endpoint is in the schema, so every one is exercised
    problems = generated_server_errors(api_schema, {"Authorization": f"Bearer {key_a[1]}"}, real_ids)
    assert problems == [], "\n\n".join(problems)
