"""The fast path (credentials.fastrdfc) gives the same canonical bytes as the general RDFC-1.0
(credentials.rdfc over pyld's quads) for every credential: generated ones of every shape, strings
that need escaping, values that look like IRIs and ones that must not be taken for them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials import fastrdfc
from credentials.documents import SCHEMA_TYPE, SCHEMA_URL
from credentials.fastrdfc import canonicalize_fast
from credentials.jsonld import CREDENTIAL_CONTEXT, to_dataset
from credentials.rdfc import _quads, canonicalize, serialize_quad
from tests.support.ob3 import rdf_canonize

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
url = st.sampled_from(["https://example.org/a", "http://127.0.0.1:8000/public/badges/1", "urn:uuid:5b1c",
                       "did:web:badges.example:public:issuers:9", "mailto:someone@example.org"])
iri_or_not = st.one_of(url, st.sampled_from(["relative/path", "", "Badge", "not a url", "xsd:string", "_:b0"]))
timestamp = st.sampled_from(["2026-12-02T01:56:24Z", "2030-01-01T00:00:00Z", "not a date"])


@st.composite
def credentials(draw) -> dict:
    achievement = {"id": draw(iri_or_not), "type": ["Achievement"], "name": draw(text), "description": draw(text),
                   "criteria": {"narrative": draw(text)},
                   "image": {"id": draw(url), "type": "Image"}}
    if draw(st.booleans()):
        achievement["alignment"] = [{"type": ["Alignment"], "targetName": draw(text), "targetUrl": draw(iri_or_not)}
                                    for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        achievement["tag"] = draw(st.lists(text, max_size=3))
    if draw(st.booleans()):
        achievement["achievementType"] = draw(st.sampled_from(["Badge", "Course", "ext:Apprenticeship"]))
    if draw(st.booleans()):
        achievement["creditsAvailable"] = draw(st.sampled_from([3, 2.5, 0]))
    for name in ("fieldOfStudy", "humanCode", "inLanguage"):
        if draw(st.booleans()):
            achievement[name] = draw(text)
    document = {
        "@context": list(CREDENTIAL_CONTEXT), "id": draw(iri_or_not),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": draw(url), "type": ["Profile"], "name": draw(text), "url": draw(iri_or_not),
                   "email": draw(text)},
        "validFrom": draw(timestamp), "name": draw(text),
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": achievement, "identifier": [
            {"type": "IdentityObject", "identityHash": draw(text), "identityType": "emailAddress", "hashed": True,
             "salt": draw(text)}]},
        "credentialStatus": {"id": draw(url), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                             "statusListIndex": draw(text), "statusListCredential": draw(url)},
    }
    if draw(st.booleans()):
        document["validUntil"] = draw(timestamp)
    evidence = [{"type": ["Evidence"], "id": draw(iri_or_not), "narrative": draw(text)}
                for _ in range(draw(st.integers(0, 3)))]
    if evidence:
        document["evidence"] = evidence
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credentials())
def test_the_fast_path_gives_the_bytes_of_the_general_algorithm(document):
    assert canonicalize_fast(document) == canonicalize(document)


def test_a_second_credential_of_the_same_shape_reuses_the_template_and_still_agrees():
    first = {"@context": list(CREDENTIAL_CONTEXT), "id": "urn:uuid:1", "type": ["VerifiableCredential"],
             "validFrom": "2026-01-01T00:00:00Z", "name": "One"}
    second = {**first, "id": "urn:uuid:2", "name": "Two \"quoted\"\n"}
    assert canonicalize_fast(first) == canonicalize(first)
    assert canonicalize_fast(second) == canonicalize(second)


def test_equal_values_merge_as_they_do_in_rdf():
    document = {"@context": list(CREDENTIAL_CONTEXT), "id": "urn:uuid:1", "type": ["VerifiableCredential"],
                "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
                    "id": "urn:a", "type": ["Achievement"], "tag": ["same", "same", "other"]}}}
    assert canonicalize_fast(document) == canonicalize(document)


# --- a cohort: one badge class's shape, many awards (what the worker signs), odd strings in every value ---

odd = st.one_of(text, st.sampled_from(['{0}', '}{', '{{', '"quoted" \\ back', "line\nbreak\ttab", "\x00\x1f\x7f",
                                       "Zoë Siân 李", "😀", " ", "", "urn:x-ph:0", "<>", "a\u2028b"]))
iri = st.one_of(url, st.builds(lambda n: f"https://badges.example/public/assertions/{n}", st.uuids()),
                st.builds(lambda n: f"urn:uuid:{n}", st.uuids()))


def _badge_class(draw) -> dict:
    achievement = {"id": draw(url), "type": ["Achievement"], "name": draw(odd), "description": draw(odd),
                   "criteria": {"narrative": draw(odd)}, "image": {"id": draw(url), "type": "Image"}}
    if draw(st.booleans()):
        achievement["alignment"] = [{"type": ["Alignment"], "targetName": draw(odd), "targetUrl": draw(url)}]
    if draw(st.booleans()):
        achievement["tag"] = draw(st.lists(odd, min_size=1, max_size=3))
    if draw(st.booleans()):
        achievement["achievementType"] = draw(st.sampled_from(["Badge", "Course"]))
    if draw(st.booleans()):
        achievement["creditsAvailable"] = draw(st.sampled_from([3, 2.5]))
    return {"issuer": {"id": draw(url), "type": ["Profile"], "name": draw(odd), "url": draw(url),
                       "email": draw(odd)}, "name": draw(odd), "achievement": achievement}


def _award(draw, badge: dict) -> dict:
    document = {
        "@context": list(CREDENTIAL_CONTEXT), "id": draw(iri), "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": badge["issuer"], "validFrom": draw(timestamp), "name": badge["name"],
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": badge["achievement"], "identifier": [
            {"type": "IdentityObject", "identityHash": draw(odd), "identityType": "emailAddress", "hashed": True,
             "salt": draw(odd)}]},
        "credentialSchema": [{"id": SCHEMA_URL, "type": SCHEMA_TYPE}],
        "credentialStatus": {"id": draw(iri), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                             "statusListIndex": str(draw(st.integers(0, 131071))), "statusListCredential": draw(url)},
    }
    if draw(st.booleans()):
        document["validUntil"] = draw(timestamp)
    evidence = []
    for _ in range(draw(st.integers(0, 3))):
        item = {"type": ["Evidence"]}
        for name, values in (("id", iri_or_not), ("narrative", odd), ("name", odd)):
            if draw(st.booleans()):
                item[name] = draw(values)
        evidence.append(item)
    if evidence:
        document["evidence"] = evidence
    return document


@st.composite
def cohorts(draw) -> list[dict]:
    badge = _badge_class(draw)
    return [_award(draw, badge) for _ in range(draw(st.integers(1, 6)))]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cohorts())
def test_every_award_of_a_badge_class_gets_the_general_algorithms_bytes_from_the_kept_template(cohort):
    for document in cohort:
        assert canonicalize_fast(document) == canonicalize(document)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(cohorts(), min_size=6, max_size=6))
def test_cohorts_canonicalise_as_digital_bazaars_rdf_canonize_does(cohorts):
    """The outside judge: rdf-canonize (ob3check's library) over the general path's quads, not ours."""
    cohort = [document for each in cohorts for document in each]
    ours = [canonicalize_fast(document) for document in cohort]
    theirs = rdf_canonize(["".join(serialize_quad(q) for q in _quads(to_dataset(d))) for d in cohort])
    assert ours == theirs


def test_a_proof_configs_vocabulary_term_is_kept_in_a_template_of_its_own():
    config = {"@context": list(CREDENTIAL_CONTEXT), "type": "DataIntegrityProof", "created": "2026-12-02T01:56:24Z",
              "verificationMethod": "did:web:badges.example:public:issuers:9#z6Mk", "cryptosuite": "eddsa-rdfc-2022",
              "proofPurpose": "assertionMethod"}
    assert canonicalize_fast(config) == canonicalize(config)
    assert any('"assertionMethod"' in key for key in fastrdfc._templates)  # not the general path each time
    later = {**config, "created": "2027-01-01T00:00:00Z"}
    assert canonicalize_fast(later) == canonicalize(later)


def test_blank_nodes_that_hash_alike_take_the_general_algorithm_and_agree():
    same = {"type": ["Evidence"], "narrative": "The same wall."}
    document = {"@context": list(CREDENTIAL_CONTEXT), "id": "urn:uuid:1", "type": ["VerifiableCredential"],
                "evidence": [dict(same), dict(same), {"type": ["Evidence"], "narrative": "Another"}]}
    assert canonicalize_fast(document) == canonicalize(document)
    other = {**document, "id": "urn:uuid:2"}
    assert canonicalize_fast(other) == canonicalize(other)


def _example_award(number: int, name: str) -> dict:
    badge = {"issuer": {"id": "did:web:badges.example:public:issuers:9", "type": ["Profile"], "name": "Northfield",
                        "url": "https://northfield.example", "email": "badges@northfield.example"},
             "name": "Safe Scaffolding", "achievement": {
                 "id": "https://badges.example/public/badges/4", "type": ["Achievement"], "name": "Safe Scaffolding",
                 "description": "Erects a tower.", "criteria": {"narrative": "Erects a tower."},
                 "image": {"id": "https://badges.example/public/badges/4/image", "type": "Image"}}}
    document = {
        "@context": list(CREDENTIAL_CONTEXT), "id": f"https://badges.example/public/credentials/{number}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": badge["issuer"],
        "validFrom": f"2026-09-0{number}T00:00:00Z", "name": badge["name"],
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": badge["achievement"], "identifier": [
            {"type": "IdentityObject", "identityHash": f"sha256${number:064x}", "identityType": "emailAddress",
             "hashed": True, "salt": name}]},
        "credentialStatus": {"id": f"https://badges.example/status/0#{number}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(number),
                             "statusListCredential": "https://badges.example/status/0"},
        "evidence": [{"type": ["Evidence"], "id": f"https://portfolio.example/{number}", "narrative": name}],
    }
    return document


def test_the_second_award_of_a_shape_needs_no_json_ld_processing(monkeypatch):
    first, second = _example_award(1, "A wall"), _example_award(2, 'Zoë\'s "wall" {0} \\ \n')
    assert canonicalize_fast(first) == canonicalize(first)

    def refuse(document):
        raise AssertionError("the template was not reused")

    monkeypatch.setattr(fastrdfc, "to_dataset", refuse)
    fast = canonicalize_fast(second)
    monkeypatch.undo()
    assert fast == canonicalize(second)
