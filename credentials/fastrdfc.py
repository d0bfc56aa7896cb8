"""RDFC-1.0 of the documents we sign, fast: the same bytes as ``credentials.rdfc.canonicalize``.

Turning JSON-LD into RDF (pyld) costs about 25 ms per credential, RDFC itself under 2 ms. But every
credential of a badge class has the same shape; only strings differ (ids, dates, the hashed
address, the status index, evidence). So the document's *skeleton* (every string replaced by a
placeholder IRI ``urn:x-ph:N``, types and contexts kept, since they choose the JSON-LD terms) is
turned into quads once, and kept as a :class:`_Template`: each quad's N-Quads line written out with
a slot where each placeholder and each blank node goes, and, for each blank node, the lines its
first-degree hash reads (RDFC-1.0 4.6, with ``_:a`` and ``_:z`` already in). A document then costs
its strings escaped and put in those slots, one SHA-256 per blank node and a sort: when the blank
nodes' first-degree hashes all differ (a credential's always do: each blank node is a different
kind of thing), RDFC-1.0 names them ``c14n0``, ``c14n1``, ... in the order of those hashes and is
done (4.4.3 step 4; nothing is left for Hash N-Degree Quads). Two equal hashes: the general
algorithm runs on the filled-in quads.

Putting a string in a slot is exact when it lands as a literal (JSON-LD copies a string literal
unchanged) or, in an IRI position, when it is an absolute IRI of a scheme no context defines as a
prefix (JSON-LD leaves those unchanged too). A string that is not (a vocabulary term such as
``assertionMethod``, a relative URL) is kept in the skeleton instead, as types are, so that template
is the shape with that value, made once too. ``tests/credentials/test_fastrdfc.py`` checks the
fast and the general path give the same bytes over many generated credentials.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from credentials.jsonld import _check_size, to_dataset
from credentials.rdfc import (
    _LITERAL_ESCAPES,
    _NEEDS_LITERAL_ESCAPE,
    DEFAULT_SECONDS,
    MAX_BLANK_NODES,
    MAX_QUADS,
    Quad,
    Term,
    _iri,
    _quads,
    canonicalize,
    canonicalize_quads,
    serialize_term,
)

PLACEHOLDER = "urn:x-ph:"
ABSOLUTE_IRI = re.compile(r"^(https?|urn|did|mailto):[^\s<>\"{}|\\^`]*$")
KEEP = frozenset({"@context", "type", "@type"})  # these choose terms and scoped contexts: part of the shape
MAX_TEMPLATES = 512

# where a placeholder is in the skeleton's quads: (quad index, position, is IRI)
_Slot = tuple[int, int, bool]


@dataclass(frozen=True)
class _Template:
    """A skeleton's quads, made once, and its N-Quads written with slots. In the format strings field
    ``2k`` is placeholder k escaped as a literal, ``2k + 1`` as an IRI, and ``2 * count + j`` blank node j."""

    quads: list[Quad]
    slots: dict[int, list[_Slot]]
    count: int
    literals: tuple[int, ...]  # placeholders that land as a literal somewhere
    iris: tuple[int, ...]  # placeholders that land as an IRI somewhere
    blank_nodes: tuple[str, ...]  # the skeleton's labels, in the order of their fields
    lines: tuple[str, ...]  # each quad's line
    first_degree: tuple[tuple[tuple[int, str], ...], ...]  # per blank node: (quad index, its line as 4.6 reads it)
    # The same, each written as one format string (the lines joined; every line ends with its only "\n", as
    # escaping leaves no newline in a term), so that a document costs two ``format`` calls, not one per line.
    joined: str = ""
    first_degree_joined: str = ""


_templates: OrderedDict[str, _Template | None] = OrderedDict()
_lock = Lock()


def _skeleton(value: Any, strings: list[str], kept: frozenset[int], seen: list[int], key: str = "") -> Any:
    """``value`` with its strings replaced by placeholders (appended to ``strings``), but for the ones
    whose place in the walk (``seen`` counts) is in ``kept``, which stay, as types and contexts do."""
    if isinstance(value, str):
        if key in KEEP:
            return value
        seen[0] += 1
        if seen[0] - 1 in kept:
            return value
        strings.append(value)
        return f"{PLACEHOLDER}{len(strings) - 1}"
    if isinstance(value, dict):
        return {k: (v if k in KEEP else _skeleton(v, strings, kept, seen, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(item, strings, kept, seen, key) for item in value]
    return value


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _field(term: Term, placeholder: dict[tuple[int, int], int], where: tuple[int, int], count: int,
           blank: dict[str, int], first_degree_of: str | None = None) -> str:
    """One term of a line in ``str.format`` form: a constant, or the slot of a placeholder or blank node."""
    number = placeholder.get(where)
    if number is not None:
        if term[0] == "I":
            return f"{{{2 * number + 1}}}"
        suffix = serialize_term(("L", "", term[2], term[3]))[2:]  # after the empty literal's quotes
        return f'"{{{2 * number}}}"{_braces(suffix)}'
    if term[0] == "B":
        if first_degree_of is not None:
            return "_:a" if term[1] == first_degree_of else "_:z"
        return f"{{{2 * count + blank[term[1]]}}}"
    return _braces(serialize_term(term))


def _line(quad: Quad, index: int, placeholder: dict[tuple[int, int], int], count: int, blank: dict[str, int],
          first_degree_of: str | None = None) -> str:
    parts = [_field(term, placeholder, (index, position), count, blank, first_degree_of)
             for position, term in enumerate(quad) if term is not None]
    return " ".join(parts) + " .\n"


def _template(skeleton: dict[str, Any], count: int) -> _Template | None:
    quads = list(_quads(to_dataset(skeleton)))
    slots: dict[int, list[_Slot]] = {}
    placeholder: dict[tuple[int, int], int] = {}
    blank: dict[str, int] = {}
    for index, quad in enumerate(quads):
        for position, term in enumerate(quad):
            if term is None:
                continue
            if term[0] == "B":
                blank.setdefault(term[1], len(blank))
                continue
            if not term[1].startswith(PLACEHOLDER):
                continue
            number = term[1][len(PLACEHOLDER):]
            if not number.isdigit() or int(number) >= count:
                return None  # a placeholder JSON-LD rewrote: the general path
            slots.setdefault(int(number), []).append((index, position, term[0] == "I"))
            placeholder[(index, position)] = int(number)
    if len(quads) > MAX_QUADS or len(blank) > MAX_BLANK_NODES:
        return None  # the general path refuses it, with the reason
    first_degree = []
    for node in blank:
        mentions = [index for index, quad in enumerate(quads) if any(t is not None and t[0] == "B" and t[1] == node
                                                                      for t in quad)]
        first_degree.append(tuple((index, _line(quads[index], index, placeholder, count, blank, node))
                                  for index in mentions))
    return _Template(
        quads=quads, slots=slots, count=count,
        literals=tuple(sorted({n for n, where in slots.items() if any(not is_iri for _, _, is_iri in where)})),
        iris=tuple(sorted({n for n, where in slots.items() if any(is_iri for _, _, is_iri in where)})),
        blank_nodes=tuple(blank),
        lines=(lines := tuple(_line(quad, index, placeholder, count, blank) for index, quad in enumerate(quads))),
        first_degree=tuple(first_degree), joined="".join(lines),
        first_degree_joined="".join(line for mentions in first_degree for _index, line in mentions))


def _cached_template(skeleton: dict[str, Any], count: int) -> _Template | None:
    key = json.dumps(skeleton, sort_keys=True, separators=(",", ":"))
    if key.count(PLACEHOLDER) != count:  # a kept string (a type, a context) looks like a placeholder
        return None
    with _lock:
        if key in _templates:
            _templates.move_to_end(key)
            return _templates[key]
    try:
        made = _template(skeleton, count)
    except ValueError:
        made = None
    with _lock:
        _templates[key] = made
        while len(_templates) > MAX_TEMPLATES:
            _templates.popitem(last=False)
    return made


class _NotAnIri(Exception):
    def __init__(self, numbers: list[int]) -> None:
        self.numbers = numbers


def _values(template: _Template, strings: list[str]) -> list[str]:
    """The format arguments: each placeholder's string escaped as its slots need it."""
    values = [""] * (2 * template.count)
    for number in template.literals:
        value = strings[number]
        values[2 * number] = value.translate(_LITERAL_ESCAPES) if _NEEDS_LITERAL_ESCAPE(value) else value
    wrong = []
    for number in template.iris:
        value = strings[number]
        if ABSOLUTE_IRI.match(value):
            values[2 * number + 1] = _iri(value)
        else:
            wrong.append(number)
    if wrong:
        raise _NotAnIri(wrong)
    return values


def _filled(template: _Template, strings: list[str]) -> list[Quad]:
    """The document's quads (for the general algorithm, when two blank nodes hash alike)."""
    filled: list[list[Term | None]] = [list(quad) for quad in template.quads]
    for number, where in template.slots.items():
        for index, position, _is_iri in where:
            term = filled[index][position]
            assert term is not None
            filled[index][position] = (term[0], strings[number], term[2], term[3])
    unique = dict.fromkeys(tuple(quad) for quad in filled)  # RDF is a set: equal values merge
    return list(unique)  # type: ignore[arg-type]


def _canonical(template: _Template, strings: list[str], seconds: float) -> str:
    """The canonical N-Quads: each blank node's first-degree hash from its lines (sorted; no character of a
    line sorts below the "\n" that ends it, so sorting them without it is the same order), then every line
    with the canonical labels, sorted. Two quads that became one (equal values; RDF is a set) or two blank
    nodes that hash alike: ``_canonical_merged``, which takes those cases line by line."""
    values = _values(template, strings)
    mentioned = template.first_degree_joined.format(*values).split("\n")
    hashes, start = [], 0
    for mentions in template.first_degree:
        quad_lines = sorted(mentioned[start:start + len(mentions)])
        start += len(mentions)
        hashes.append(hashlib.sha256(("\n".join(quad_lines) + "\n").encode()).hexdigest())
    if len(set(hashes)) < len(hashes):
        return _canonical_merged(template, strings, values, seconds)
    labels = [""] * len(hashes)
    for canonical, node in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
        labels[node] = f"_:c14n{canonical}"
    out = template.joined.format(*values, *labels).split("\n")
    out.pop()  # after the last line's "\n"
    if len(set(out)) < len(out):  # relabelling blank nodes one to one keeps lines equal or apart
        return _canonical_merged(template, strings, values, seconds)
    out.sort()
    return "\n".join(out) + "\n" if out else ""


def _canonical_merged(template: _Template, strings: list[str], values: list[str], seconds: float) -> str:
    """``_canonical`` a line at a time, keeping one of equal lines, and the general algorithm when two
    blank nodes hash alike."""
    lines = [line.format(*values, *template.blank_nodes) for line in template.lines]
    kept: set[int] | None = None
    if len(set(lines)) < len(lines):  # two quads became one (equal values): RDF is a set
        first = {line: index for index, line in reversed(list(enumerate(lines)))}
        kept = set(first.values())
    hashes = []
    for mentions in template.first_degree:
        quad_lines = sorted(line.format(*values) for index, line in mentions if kept is None or index in kept)
        hashes.append(hashlib.sha256("".join(quad_lines).encode()).hexdigest())
    if len(set(hashes)) < len(hashes):
        return canonicalize_quads(_filled(template, strings), seconds=seconds)
    labels = [""] * len(hashes)
    for canonical, node in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
        labels[node] = f"_:c14n{canonical}"
    out = {line.format(*values, *labels) for index, line in enumerate(template.lines) if kept is None or index in kept}
    return "".join(sorted(out))


def canonicalize_fast(document: dict[str, Any], *, seconds: float = DEFAULT_SECONDS) -> str:
    """``credentials.rdfc.canonicalize(document)``, from a kept template when the shape is known."""
    _check_size(document)
    kept: frozenset[int] = frozenset()
    for _attempt in range(2):
        strings: list[str] = []
        skeleton = _skeleton(document, strings, kept, [0])
        template = _cached_template(skeleton, len(strings))
        if template is None or len(template.slots) != len(strings):  # a string JSON-LD dropped: let pyld decide
            break
        try:
            return _canonical(template, strings, seconds)
        except _NotAnIri as exc:
            # Keep those strings in the skeleton (their walk positions: the placeholders' numbers count
            # only the strings not kept, so map them back) and try once more.
            walk = [position for position in range(len(strings) + len(kept)) if position not in kept]
            kept = kept | {walk[number] for number in exc.numbers}
    return canonicalize(document, seconds=seconds)
