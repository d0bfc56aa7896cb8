"""Schemathesis against the Open Badges 3.0 API's own OpenAPI document (its service description at
/ims/ob/v3p0/discovery), in-process over WSGI, with a learner's token holding every scope: requests
that fit the schema and requests that do not, for every operation; none may answer 5xx."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support.learners import award
from tests.support.obapi import connect

EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture
def token(client, learner, badge_a):
    """A learner with an award, and their token with every scope (got before the WSGI calls begin: Django's
    test client reconnects the signal that would close the test's connection after each request)."""
    award(badge_a)
    return connect(client, learner).access_token


@pytest.fixture
def ob_schema(db, token):
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/ims/ob/v3p0/discovery", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_no_generated_request_to_the_ob3_api_gets_a_server_error(ob_schema, token):
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in ob_schema.get_all_operations()]
    assert {op.label for op in operations} >= {"GET /credentials", "POST /credentials", "GET /profile",
                                               "PUT /profile"}
    problems = [problem for operation in operations for mode in GenerationMode
                for problem in _server_errors(operation, mode, headers)]
    assert problems == [], "\n\n".join(problems)


def _server_errors(operation, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
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
    except Unsatisfiable:  # a negative mode for an operation with nothing to get wrong (no parameters, no body)
        assert mode == GenerationMode.NEGATIVE, operation.label
    except Exception:  # noqa: BLE001 -- described in found; go on to the next operation
        if not found:
            raise
    return found
