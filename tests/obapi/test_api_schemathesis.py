"""Schemathesis against the Open Badges 3.0 API's own OpenAPI document (its service description at
/ims/ob/v3p0/discovery), in-process over WSGI, with a learner's token holding every scope: requests
that fit the schema and requests that do not, for every operation; none may answer 5xx
(tests.support.openapi)."""

from __future__ import annotations

from tests.support.learners import award
from tests.support.obapi import connect
from tests.support.openapi import generated_server_errors, operations, wsgi_schema


def test_no_generated_request_to_the_ob3_api_gets_a_server_error(client, learner, badge_a):
    award(badge_a)
    token = connect(client, learner).access_token
    schema = wsgi_schema("/ims/ob/v3p0/discovery")
    assert {op.label for op in operations(schema)} >= {"GET /credentials", "POST /credentials", "GET /profile",
                                                       "PUT /profile"}
    problems = generated_server_errors(schema, {"Authorization": f"Bearer {token}"})
    assert problems == [], "\n\n".join(problems)
