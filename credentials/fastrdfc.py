"""RDFC-1.0 of the documents we sign, fast: the same bytes as ``credentials.rdfc.canonicalize``.

Turning JSON-LD into RDF (pyld) costs about 25 ms per credential, RDFC itself under 2 ms. But every
credential of a badge class has the same shape; only strings differ (ids, dates, the hashed
address, the status index, evidence). So the document's *skeleton* (every string replaced by a
placeholder IRI ``urn:x-ph:N``, types and contexts kept, since they choose the JSON-LD terms) is
turned into quads once and kept; each document then gets its quads by putting its strings back
where the placeholders landed, and only RDFC runs.

That is exact when a string lands as a literal (JSON-LD copies a string literal unchanged) or, in an
IRI position, when the string is an absolute IRI of a scheme no context defines as a prefix (JSON-LD
leaves those unchanged too). Otherwise, for instance a relative URL or a vocabulary term in an IRI
position, the document takes the general path. ``tests/credentials/test_fastrdfc.py`` checks the
two paths give the same bytes over many generated credentials.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from threading import Lock
from typing import Any

from credentials.jsonld import _check_size, to_dataset
from credentials.rdfc import DEFAULT_SECONDS, Quad, Term, _quads, canonicalize, canonicalize_quads

PLACEHOLDER = "urn:x-ph:"
ABSOLUTE_IRI = re.compile(r"^(https?|urn|did|mailto):[^\s<>\"{}|\\^`]*$")
KEEP = frozenset({"@context", "type", "@type"})  # these choose terms and scoped contexts: part of the shape
MAX_TEMPLATES = 512

# template: the skeleton's quads, and where each placeholder is in them: (quad index, position, is IRI)
_Slot = tuple[int, int, bool]
_Template = tuple[list[Quad], dict[int, list[_Slot]]]
_templates: OrderedDict[str, _Template] = OrderedDict()
_lock = Lock()


def _skeleton(value: Any, strings: list[str], key: str = "") -> Any:
    if isinstance(value, str):
        if key in KEEP:
            return value
        strings.append(value)
        return f"{PLACEHOLDER}{len(strings) - 1}"
    if isinstance(value, dict):
        return {k: (v if k in KEEP else _skeleton(v, strings, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(item, strings, key) for item in value]
    return value


def _template(skeleton: dict[str, Any], count: int) -> _Template:
    quads = list(_quads(to_dataset(skeleton)))
    slots: dict[int, list[_Slot]] = {}
    for index, quad in enumerate(quads):
        for position, term in enumerate(quad):
            if term is None or term[0] == "B" or not term[1].startswith(PLACEHOLDER):
                continue
            number = term[1][len(PLACEHOLDER):]
            if not number.isdigit() or int(number) >= count:
                raise ValueError("A placeholder was rewritten by JSON-LD.")  # never: then no fast path
            slots.setdefault(int(number), []).append((index, position, term[0] == "I"))
    return quads, slots


def _cached_template(skeleton: dict[str, Any], count: int) -> _Template | None:
    key = json.dumps(skeleton, sort_keys=True, separators=(",", ":"))
    if key.count(PLACEHOLDER) != count:  # a kept string (a type, a context) looks like a placeholder
        return None
    with _lock:
        found = _templates.get(key)
        if found is not None:
            _templates.move_to_end(key)
            return found
    try:
        made = _template(skeleton, count)
    except ValueError:
        return None
    with _lock:
        _templates[key] = made
        while len(_templates) > MAX_TEMPLATES:
            _templates.popitem(last=False)
    return made


def _filled(template: _Template, strings: list[str]) -> list[Quad] | None:
    quads, slots = template
    filled: list[list[Term | None]] = [list(quad) for quad in quads]
    placed = set()
    for number, where in slots.items():
        value = strings[number]
        for index, position, is_iri in where:
            term = filled[index][position]
            assert term is not None
            if is_iri and not ABSOLUTE_IRI.match(value):
                return None
            filled[index][position] = (term[0], value, term[2], term[3])
        placed.add(number)
    if len(placed) != len(strings):
        return None  # a string JSON-LD dropped in the skeleton: let the general path decide
    unique = dict.fromkeys(tuple(quad) for quad in filled)  # RDF is a set: equal values merge
    return list(unique)  # type: ignore[arg-type]


def canonicalize_fast(document: dict[str, Any], *, seconds: float = DEFAULT_SECONDS) -> str:
    """``credentials.rdfc.canonicalize(document)``, from a kept template when the shape is known."""
    _check_size(document)
    strings: list[str] = []
    skeleton = _skeleton(document, strings)
    template = _cached_template(skeleton, len(strings))
    quads = _filled(template, strings) if template is not None else None
    if quads is None:
        return canonicalize(document, seconds=seconds)
    return canonicalize_quads(quads, seconds=seconds)
