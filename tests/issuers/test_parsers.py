"""The depth-limited JSON loader that every API body, JSON-in-text field and foreign document goes through."""

from __future__ import annotations

import json
import time

import pytest

from issuers.parsers import MAX_JSON_DEPTH, JSONTooDeep, check_depth, loads


def nested(depth: int, *, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def test_documents_up_to_the_limit_are_parsed():
    assert loads(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))
    assert loads('{"a": {"b": [1, 2, {"c": null}]}}') == {"a": {"b": [1, 2, {"c": None}]}}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeper_documents_are_refused_with_the_reason_before_python_recurses(depth):
    with pytest.raises(JSONTooDeep, match=f"nested more than {MAX_JSON_DEPTH} levels deep"):
        loads(nested(depth))
    with pytest.raises(json.JSONDecodeError):  # what callers already catch
        loads(nested(depth, opener='{"a":', closer="}").encode())


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"note": "[" * 500 + '\\"{' * 100, "list": [["x"]]})
    assert loads(text)["list"] == [["x"]]
    check_depth('["]]]]", ' + nested(MAX_JSON_DEPTH - 1) + "]")


def test_a_large_shallow_body_is_checked_quickly():
    body = json.dumps({"rows": [{"email": f"learner{n}@example.org", "tags": ["a", "b"]} for n in range(50_000)]})
    started = time.monotonic()
    check_depth(body)
    assert time.monotonic() - started < 2
