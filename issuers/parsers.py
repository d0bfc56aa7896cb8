"""JSON from strangers, parsed with a depth limit: the one JSON loader for API bodies (the DRF
parser every endpoint uses), JSON-in-text fields (multipart ``alignments``) and foreign documents
the verifier reads.

Python's ``json`` parses nesting recursively, so ``[[[[...]]]]`` a thousand levels deep raises
``RecursionError`` (a 500), and anything a little shallower reaches code that recurses over it.
Nothing we accept is deeper than a handful of levels, so the depth is checked *before* parsing,
without recursion, and a deeper document is refused like any other malformed JSON: the error is a
``json.JSONDecodeError`` (a ``ValueError``), which every caller already handles.

It lives in ``issuers``, beside the API key authentication, because it is API plumbing that every
app above needs (``badgeplatform`` wires the apps together and they do not import it).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_JSON_DEPTH = 32
# A string (with its escapes) or one bracket: brackets inside strings do not count.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


class JSONTooDeep(json.JSONDecodeError):
    """The document nests objects or lists more than ``max_depth`` levels deep."""


def check_depth(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise ``JSONTooDeep`` when ``data`` nests deeper than ``max_depth``; iterative, linear time."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # cannot be deeper than its number of brackets: the common case costs two counts
    depth = 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPEN:
            depth += 1
            if depth > max_depth:
                text = data if isinstance(data, str) else raw.decode("utf-8", "replace")
                raise JSONTooDeep(f"The JSON is nested more than {max_depth} levels deep", text, match.start())
        else:
            depth -= 1


def loads(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` for untrusted input: refuses documents nested deeper than ``max_depth``."""
    check_depth(data, max_depth=max_depth)
    return json.loads(data, **kwargs)


class DepthLimitedJSONDecoder(json.JSONDecoder):
    """The decoder for Django's JSON form fields (the admin's): a value nested too deeply is "Enter a
    valid JSON", as Django says for any undecodable value, never a RecursionError."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        check_depth(s)
        return super().decode(s, *args, **kwargs)


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser with the depth limit: a too-deep body is a 400 with the reason, not a 500.
    The default parser of the API (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``)."""

    def parse(self, stream: IO[Any], media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text, parse_constant=strict_constant if self.strict else None)
        except JSONTooDeep as exc:
            raise ParseError(f"{exc.msg}.") from exc
        except ValueError as exc:  # also UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc

