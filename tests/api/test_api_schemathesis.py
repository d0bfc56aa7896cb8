"""Schemathesis against our own OpenAPI schema (drf-spectacular at /api/v1/schema/), in-process over
WSGI, with a tenant API key: for every operation, requests that fit the schema and requests that do
not; the promise checked is that none answers 5xx. Run alone with ``make api-fuzz``.

Nothing leaves the machine: the verifier's outbound fetches are refused before any DNS lookup
(generated badge URLs name hosts on the internet)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from issuers.scoping import tenant_scope
from tests.support import issue_one
from verification import fetch

# Enough to reach our validation's branches; small enough for 2 cores (a few minutes in all).
# ``make api-fuzz SCHEMATHESIS_EXAMPLES=200`` digs deeper.
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture
def api_schema(db, settings, monkeypatch):
    settings.VERIFY_RATE_LIMIT = "100000/minute"

    def no_network(host: str, port: int, **kwargs: object) -> str:
        raise fetch.FetchError(f"{host}: the test suite makes no outbound requests.")

    monkeypatch.setattr(fetch, "resolve", no_network)
    # As Django's test client does: the end of a request must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def server_errors(operation, mode: GenerationMode, headers: dict[str, str], ids: dict[str, str] | None = None
                  ) -> list[str]:
    """Run the operation's generated cases (with ``ids`` as its path parameters, if given); describe
    each that got a 5xx (hypothesis stops at the first)."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=ids))
    @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = case.call(headers=headers)
        if response.status_code >= 500:
            found.append(f"{operation.label} ({mode}): {response.status_code} for\n  {case.as_curl_command()}\n  "
                         f"{response.text[:500]}")
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        run()
    except Exception:  # noqa: BLE001 -- the failure is described in found; go on to the next operation
        if not found:
            raise
    return found


def real_ids(path: str, ids: dict[str, str]) -> dict[str, str] | None:
    """Generated UUIDs find nothing (404); the college's own issuer, badge class and award get past it."""
    for prefix, public_id in ids.items():
        if path.startswith(prefix + "{public_id}"):
            return {"public_id": public_id}
    return None


def test_no_generated_request_gets_a_server_error(api_schema, tenant_a, key_a, issuer_a, badge_a):
    with tenant_scope(tenant_a):
        award = issue_one(badge_class=badge_a, recipient_identity="learner@example.org")
    ids = {"/api/v1/issuers/": str(issuer_a.public_id), "/api/v1/badgeclasses/": str(badge_a.public_id),
           "/api/v1/assertions/": str(award.public_id)}
    headers = {"Authorization": f"Bearer {key_a[1]}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10  # every endpoint is in the schema, so every one is exercised
    problems = []
    for operation in operations:
        for mode in GenerationMode:
            problems += server_errors(operation, mode, headers)
            known = real_ids(operation.path, ids)
            if known is not None:
                problems += server_errors(operation, mode, headers, known)
    assert problems == [], "\n\n".join(problems)
