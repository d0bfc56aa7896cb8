"""The fast path (credentials.fastrdfc) gives the same canonical bytes as the general RDFC-1.0
(credentials.rdfc over pyld's quads) for every credential: generated ones of every shape, strings
that need escaping, values that look like IRIs and ones that must not be taken for them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.fastrdfc import canonicalize_fast
from credentials.jsonld import CREDENTIAL_CONTEXT
from credentials.rdfc import canonicalize

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
