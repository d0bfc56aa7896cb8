"""Logs: JSON lines in production, plain under `make run`; every line names its request and college,
one line per request. (tests/worker/test_metrics_processes.py checks the worker's task lines.)"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from badgeplatform.logs import ContextFilter, JsonFormatter
from issuers.context import request_id_bound, tenant_context
from issuers.tasks import ACTOR_KWARG, _with_actor
from tests.support.servers import ROOT


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_line_names_the_request_and_college_it_was_written_for(json_lines, tenant_a, alice):
    with request_id_bound("req-0123456789"), tenant_context(tenant_a, alice):
        logging.getLogger("badges.somewhere").warning("Image for %s rebuilt", "Bricklaying")
    (line,) = [x for x in json_lines() if x["logger"] == "badges.somewhere"]
    assert line["message"] == "Image for Bricklaying rebuilt"
    assert (line["level"], line["request_id"], line["tenant"]) == ("WARNING", "req-0123456789", tenant_a.slug)
    assert line["time"].endswith("Z")


def test_a_task_queued_while_serving_a_request_carries_its_id_beside_the_actor(tenant_a, alice):
    with request_id_bound("req-0123456789"), tenant_context(tenant_a, alice):
        assert _with_actor({})[ACTOR_KWARG] == {"user": alice.pk, "request_id": "req-0123456789"}
    with tenant_context(tenant_a, alice):
        assert _with_actor({})[ACTOR_KWARG] == {"user": alice.pk}


@pytest.mark.django_db
def test_each_request_is_one_line_with_its_view_status_college_and_id_and_never_its_path(
        json_lines, client, tenant_a, alice):
    client.force_login(alice)
    response = client.get(f"/t/{tenant_a.slug}/audit/", headers={"X-Request-ID": "from-the-proxy-42"})
    assert response["X-Request-ID"] == "from-the-proxy-42"
    token_path = "/invitations/secret-token-in-the-path/"
    client.get(token_path)
    lines = [x for x in json_lines() if x.get("event") == "request"]
    assert len(lines) == 2
    audit, invitation = lines
    assert (audit["view"], audit["status"], audit["tenant"], audit["request_id"]) == (
        "issuers:audit", 200, tenant_a.slug, "from-the-proxy-42")
    assert audit["duration_ms"] > 0
    assert "secret-token" not in json.dumps(invitation)
    assert invitation["route"] == "invitations/<str:token>/"


def test_a_request_id_that_could_forge_a_line_is_replaced(client, json_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "evil\" injected"})
    assert response["X-Request-ID"] != "evil\" injected"
    assert len(response["X-Request-ID"]) == 32


def _log_once(env: dict[str, str]) -> str:
    code = "import logging; logging.getLogger('probe').warning('hello %s', 'operators')"
    environ = {k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT", "DEBUG"}}
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_logs_are_json_in_production_format_and_plain_under_make_run():
    line = json.loads(_log_once({"LOG_FORMAT": "json"}))
    assert (line["logger"], line["message"], line["level"]) == ("probe", "hello operators", "WARNING")
    plain = _log_once({})  # make run: DEBUG on by default, no LOG_FORMAT
    assert plain.endswith("WARNING probe [ ] hello operators")
