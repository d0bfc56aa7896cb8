"""Schemathesis against one of our own OpenAPI documents, in-process over WSGI: for every operation,
requests that fit the schema and requests that do not, each mode ``SCHEMATHESIS_EXAMPLES`` times; the
promise checked is that none answers 5xx. Used by tests/api (the REST API) and tests/obapi (the Open
Badges 3.0 API)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

# Enough to reach our validation's branches; small enough for 2 cores (a few minutes in all).
# ``make api-fuzz SCHEMATHESIS_EXAMPLES=200`` digs deeper.
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))


@contextmanager
def connection_kept() -> Iterator[None]:
    """As Django's test client does around each request: the end of a request must not close the database
    connection the test's transaction lives on. Entered around each WSGI call, not once for the test, since
    every request of the test client connects the closing signals again when it ends."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def wsgi_schema(url: str) -> Any:
    """The OpenAPI document our application serves at ``url``, its operations called in-process."""
    with connection_kept():
        return schemathesis.openapi.from_wsgi(url, get_wsgi_application())


def server_errors(operation: Any, mode: GenerationMode, headers: dict[str, str],
                  path_parameters: dict[str, str] | None = None) -> list[str]:
    """Run the operation's generated cases (with ``path_parameters``, if given); describe each that got
    a 5xx (hypothesis stops at the first)."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        with connection_kept():
            response = case.call(headers=headers)
        if response.status_code >= 500:
            found.append(f"{operation.label} ({mode}): {response.status_code} for\n  {case.as_curl_command()}\n  "
                         f"{response.text[:500]}")
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        run()
    except Unsatisfiable:  # a negative mode for an operation with nothing to get wrong (no parameters, no body)
        assert mode == GenerationMode.NEGATIVE, operation.label
    except Exception:  # noqa: BLE001 -- the failure is described in found; go on to the next operation
        if not found:
            raise
    return found


def generated_server_errors(schema: Any, headers: dict[str, str],
                            known_ids: Callable[[str], dict[str, str] | None] = lambda path: None) -> list[str]:
    """Every operation of ``schema`` in every mode, and again with ``known_ids(path)`` as its path
    parameters where that names real rows (generated ids find nothing: a 404 before any validation)."""
    problems: list[str] = []
    for operation in operations(schema):
        for mode in GenerationMode:
            problems += server_errors(operation, mode, headers)
            known = known_ids(operation.path)
            if known is not None:
                problems += server_errors(operation, mode, headers, known)
    return problems


def operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]
