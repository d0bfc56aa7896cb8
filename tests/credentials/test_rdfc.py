"""RDFC-1.0 (credentials.rdfc) gives the bytes of the spec and of Digital Bazaar's rdf-canonize, and
stops hostile datasets early."""

from __future__ import annotations

import random
import time

import pytest

from credentials.jsonld import CREDENTIAL_CONTEXT, JsonLdError, UnknownContext, document_loader, to_dataset
from credentials.proof import unsecured
from credentials.rdfc import (
    CanonicalizationLimit,
    Quad,
    Term,
    _Canonicalizer,
    canonicalize,
    canonicalize_dataset,
    serialize_quad,
)
from tests.support.ob3 import rdf_canonize, spec_vector_credential

SPEC_VECTOR_CANONICAL_FIRST = "<did:example:ebfeb1f712ebc6f1c276e12ec21>"


def _bnode(n: int) -> Term:
    return ("B", f"_:n{n}", "", "")


def _random_quads(rng: random.Random) -> list[Quad]:
    """A dataset of blank nodes with random, often symmetric, edges and awkward literals."""
    nodes = rng.randint(1, 9)
    predicates = [("I", f"http://example.org/p{i}", "", "") for i in range(rng.randint(1, 3))]
    literals = ["plain", "tab\there", "line\nfeed", 'quote " and \\', "bell\x07 del\x7f ff\x0c bs\x08",
                "Zoë ☃ 𝄞", "cr\r"]
    quads = set()
    for _ in range(rng.randint(1, 24)):
        subject = _bnode(rng.randrange(nodes))
        kind = rng.random()
        if kind < 0.6:
            obj: Term = _bnode(rng.randrange(nodes))
        elif kind < 0.8:
            obj = ("L", rng.choice(literals), rng.choice(["http://www.w3.org/2001/XMLSchema#string",
                                                          "http://www.w3.org/2001/XMLSchema#dateTime"]), "")
        elif kind < 0.9:
            obj = ("L", rng.choice(literals), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "en")
        else:
            obj = ("I", "http://example.org/thing", "", "")
        graph = None if rng.random() < 0.8 else rng.choice([_bnode(rng.randrange(nodes)),
                                                            ("I", "http://example.org/g", "", "")])
        quads.add((subject, rng.choice(predicates), obj, graph))
    return sorted(quads, key=serialize_quad)


def _nquads(quads: list[Quad]) -> str:
    return "".join(serialize_quad(quad) for quad in quads)


def _ours(quads: list[Quad]) -> str:
    return _Canonicalizer(quads, time.monotonic() + 2).run()


def _edges(pairs: list[tuple[str, str]], predicate: str = "http://example.org/p") -> list[Quad]:
    return [(("B", f"_:{a}", "", ""), ("I", predicate, "", ""), ("B", f"_:{b}", "", ""), None) for a, b in pairs]


def test_spec_test_vector_canonicalises_as_rdf_canonize_does():
    # (its proof verifying with the spec's key, tests/credentials/test_proof.py, proves the bytes too)
    canonical = canonicalize(unsecured(spec_vector_credential()))
    assert canonical.startswith(SPEC_VECTOR_CANONICAL_FIRST)
    assert rdf_canonize([canonical]) == [canonical]


def test_canonical_nquads_equal_digital_bazaars_rdf_canonize_on_generated_datasets():
    rng = random.Random(16)
    datasets = [_random_quads(rng) for _ in range(300)]
    documents = [_nquads(quads) for quads in datasets]
    theirs = rdf_canonize(documents)
    ours = [_ours(quads) for quads in datasets]
    mismatches = [(doc, a, b) for doc, a, b in zip(documents, ours, theirs, strict=True) if a != b]
    assert not mismatches, mismatches[:2]


def test_symmetric_blank_nodes_need_n_degree_hashing_and_still_agree():
    ring = _edges([(f"r{i}", f"r{(i + 1) % 6}") for i in range(6)])
    pairs = _edges([(f"p{i}", f"p{i ^ 1}") for i in range(4)], "http://example.org/knows")
    datasets = [ring, pairs, ring + pairs]
    assert [_ours(quads) for quads in datasets] == rdf_canonize([_nquads(quads) for quads in datasets])


def test_a_credentials_canonical_form_equals_rdf_canonize_of_its_quads():
    credential = unsecured(spec_vector_credential())
    credential["@context"] = CREDENTIAL_CONTEXT
    credential["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": f"Unit {i}", "targetUrl": f"https://example.org/u/{i}"} for i in range(3)]
    ours = canonicalize(credential)
    assert rdf_canonize([ours]) == [ours]


def test_the_loader_serves_bundled_contexts_and_refuses_any_other_url():
    assert document_loader(CREDENTIAL_CONTEXT[1])["document"]["@context"]
    with pytest.raises(UnknownContext, match="https://evil.example/ctx.json"):
        to_dataset({"@context": [CREDENTIAL_CONTEXT[0], "https://evil.example/ctx.json"], "id": "urn:x"})


@pytest.mark.parametrize("document", [[], {"@context": 5}, {"@context": CREDENTIAL_CONTEXT, "id": {"@id": []}}])
def test_garbage_is_a_jsonld_error_with_a_reason(document):
    with pytest.raises(JsonLdError):
        canonicalize(document)


def test_a_poison_graph_of_alike_blank_nodes_stops_at_the_work_limit_quickly():
    # A clique of blank nodes: every node looks the same, so Hash N-Degree Quads tries permutations of
    # permutations. It must stop with a reason well within a second, not burn the worker.
    size = 14
    quads = _edges([(f"k{i}", f"k{j}") for i in range(size) for j in range(size) if i != j])
    started = time.monotonic()
    with pytest.raises(CanonicalizationLimit):
        canonicalize_dataset([{"subject": {"type": "blank node", "value": s[1]},
                               "predicate": {"type": "IRI", "value": p[1]},
                               "object": {"type": "blank node", "value": o[1]}} for s, p, o, _g in quads])
    assert time.monotonic() - started < 3


def test_too_many_values_are_refused_before_any_jsonld_work():
    document = {"@context": CREDENTIAL_CONTEXT, "id": "urn:x", "type": ["VerifiableCredential"],
                "name": ["x"] * 10_000}
    with pytest.raises(JsonLdError, match="too large"):
        canonicalize(document)


def test_the_deadline_stops_canonicalisation():
    quads = _edges([(f"k{i}", f"k{j}") for i in range(10) for j in range(10) if i != j])
    with pytest.raises(CanonicalizationLimit):
        _Canonicalizer(quads, time.monotonic() - 1).run()
