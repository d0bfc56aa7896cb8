"""RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024) with SHA-256, written here from
the spec so that the canonical N-Quads are byte for byte RDFC-1.0's (pyld's URDNA2015 escapes
literals and IRIs the older way) and so that the work is bounded.

Bounded work: a hostile dataset (many blank nodes that look alike) makes "Hash N-Degree Quads"
explode. :func:`canonicalize` refuses more than ``MAX_QUADS`` quads or ``MAX_BLANK_NODES`` blank
nodes, counts the calls of Hash N-Degree Quads and permutations tried (``MAX_WORK``) and stops at a
deadline (``seconds``), raising :class:`CanonicalizationLimit`, as the spec's section on
"poison graphs" asks of an implementation.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import permutations
from typing import Any

from credentials.jsonld import JsonLdError, to_dataset

MAX_QUADS = 5000
MAX_BLANK_NODES = 500
MAX_WORK = 20000
DEFAULT_SECONDS = 2.0

RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# A term is (kind, value, datatype, language): kind "I" (IRI), "B" (blank node, value "_:x") or "L".
Term = tuple[str, str, str, str]
Quad = tuple[Term, Term, Term, Term | None]


class CanonicalizationLimit(JsonLdError):
    """The dataset needs more work than a credential ever does."""


def _literal_escape_table() -> dict[int, str]:
    table = {n: f"\\u{n:04X}" for n in [*range(0x20), 0x7F]}
    table.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})
    return table


_LITERAL_ESCAPES = _literal_escape_table()
_IRI_ESCAPES = {n: f"\\u{n:04X}" for n in [*range(0x21), *map(ord, '<>"{}|^`\\')]}


def _term(component: dict[str, Any]) -> Term:
    kind = component["type"]
    if kind == "IRI":
        return ("I", component["value"], "", "")
    if kind == "blank node":
        return ("B", component["value"], "", "")
    return ("L", component["value"], component.get("datatype") or XSD_STRING, component.get("language") or "")


_NEEDS_LITERAL_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]').search
_NEEDS_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]').search


def _iri(value: str) -> str:
    return f"<{value.translate(_IRI_ESCAPES) if _NEEDS_IRI_ESCAPE(value) else value}>"


@lru_cache(maxsize=8192)  # predicates, types and a badge class's strings repeat in every credential
def serialize_term(term: Term) -> str:
    kind, value, datatype, language = term
    if kind == "I":
        return _iri(value)
    if kind == "B":
        return value
    text = f'"{value.translate(_LITERAL_ESCAPES) if _NEEDS_LITERAL_ESCAPE(value) else value}"'
    if datatype == RDF_LANGSTRING:
        return f"{text}@{language}" if language else text
    if datatype != XSD_STRING:
        return f"{text}^^{_iri(datatype)}"
    return text


def serialize_quad(quad: Quad) -> str:
    s, p, o, g = quad
    line = f"{serialize_term(s)} {serialize_term(p)} {serialize_term(o)}"
    if g is not None:
        line += f" {serialize_term(g)}"
    return line + " .\n"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Issuer:
    """An identifier issuer (RDFC-1.0 4.5): a prefix, a counter and the identifiers issued, in order."""

    __slots__ = ("prefix", "issued")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = dict(issued) if issued else {}

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is None:
            found = self.issued[existing] = f"{self.prefix}{len(self.issued)}"
        return found

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, self.issued)


class _Canonicalizer:
    def __init__(self, quads: Sequence[Quad], deadline: float) -> None:
        self.quads = quads
        self.deadline = deadline
        self.work = 0
        self.canonical = _Issuer("c14n")
        self.bnode_quads: dict[str, list[Quad]] = {}
        self.first_degree: dict[str, str] = {}
        for quad in quads:
            for position in (0, 2, 3):
                term = quad[position]
                if term is not None and term[0] == "B":
                    bucket = self.bnode_quads.setdefault(term[1], [])
                    if not bucket or bucket[-1] is not quad:
                        bucket.append(quad)
        if len(self.bnode_quads) > MAX_BLANK_NODES:
            raise CanonicalizationLimit(f"The document has more than {MAX_BLANK_NODES} blank nodes.")

    def _spend(self) -> None:
        self.work += 1
        if self.work > MAX_WORK or time.monotonic() > self.deadline:
            raise CanonicalizationLimit("Canonicalising the document took more work than a credential needs.")

    def hash_first_degree(self, node: str) -> str:
        found = self.first_degree.get(node)
        if found is not None:
            return found
        lines = []
        for quad in self.bnode_quads[node]:
            lines.append(serialize_quad(tuple(  # type: ignore[arg-type]
                (t if t is None or t[0] != "B" else ("B", "_:a" if t[1] == node else "_:z", "", ""))
                for t in quad)))
        lines.sort()
        found = self.first_degree[node] = _sha256("".join(lines))
        return found

    def hash_related(self, related: str, quad: Quad, issuer: _Issuer, position: str) -> str:
        issued = self.canonical.issued.get(related) or issuer.issued.get(related)
        identifier = "_:" + issued if issued else self.hash_first_degree(related)
        text = position
        if position != "g":
            text += f"<{quad[1][1]}>"
        return _sha256(text + identifier)

    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        self._spend()
        related_by_hash: dict[str, list[str]] = {}
        for quad in self.bnode_quads[node]:
            for index, position in ((0, "s"), (2, "o"), (3, "g")):
                term = quad[index]
                if term is not None and term[0] == "B" and term[1] != node:
                    digest = self.hash_related(term[1], quad, issuer, position)
                    related_by_hash.setdefault(digest, []).append(term[1])
        data = ""
        for digest in sorted(related_by_hash):
            data += digest
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in permutations(related_by_hash[digest]):
                self._spend()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    canonical = self.canonical.issued.get(related)
                    if canonical is not None:
                        path += "_:" + canonical
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += "_:" + issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += "_:" + issuer_copy.issue(related) + f"<{result_hash}>"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path, chosen_issuer = path, issuer_copy
            data += chosen_path
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return _sha256(data), issuer

    def run(self) -> str:
        by_hash: dict[str, list[str]] = {}
        for node in self.bnode_quads:
            by_hash.setdefault(self.hash_first_degree(node), []).append(node)
        shared: list[tuple[str, list[str]]] = []
        for digest in sorted(by_hash):
            nodes = by_hash[digest]
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append((digest, nodes))
        for _digest, nodes in shared:
            results = []
            for node in nodes:
                if node in self.canonical.issued:
                    continue
                temporary = _Issuer("b")
                temporary.issue(node)
                results.append(self.hash_n_degree(node, temporary))
            for _hash, issuer in sorted(results, key=lambda item: item[0]):
                for existing in issuer.issued:
                    self.canonical.issue(existing)
        lines = set()
        for quad in self.quads:
            lines.add(serialize_quad(tuple(  # type: ignore[arg-type]
                (t if t is None or t[0] != "B" else ("B", "_:" + self.canonical.issued[t[1]], "", ""))
                for t in quad)))
        return "".join(sorted(lines))


def _quads(dataset: Sequence[dict[str, Any]]) -> Iterator[Quad]:
    for triple in dataset:
        name = triple.get("name")
        yield (_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"]),
               _term(name) if name else None)


def canonicalize_quads(quads: Sequence[Quad], *, seconds: float = DEFAULT_SECONDS) -> str:
    if len(quads) > MAX_QUADS:
        raise CanonicalizationLimit(f"The document has more than {MAX_QUADS} statements.")
    return _Canonicalizer(quads, time.monotonic() + seconds).run()


def canonicalize_dataset(dataset: Sequence[dict[str, Any]], *, seconds: float = DEFAULT_SECONDS) -> str:
    if len(dataset) > MAX_QUADS:
        raise CanonicalizationLimit(f"The document has more than {MAX_QUADS} statements.")
    return canonicalize_quads(list(_quads(dataset)), seconds=seconds)


def canonicalize(document: dict[str, Any], *, seconds: float = DEFAULT_SECONDS) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document (bundled contexts only)."""
    return canonicalize_dataset(to_dataset(document), seconds=seconds)
