"""The one verifier over Open Badges 3.0 credentials of another platform ("Harbour College", did:web on a
loopback server, signed by ob3check's sample issuer): JSON with a proof, VC-JWT, baked PNG and SVG,
links; keys, status lists, contexts, schema, dates; every check in words; bounded work."""

from __future__ import annotations

import copy
import json
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from jsonschema import FormatChecker

from tests.support.ob3 import LEARNER_EMAIL
from verification import ob3
from verification.verifier import verify

CASES = {
    "good", "good baked png", "good baked svg", "good did:key", "tampered subject", "wrong key",
    "key not the issuer's", "key not an assertionMethod", "revoked by status list", "revoked by revocation list",
    "not revoked by revocation list", "expired", "unknown context", "schema violation", "good jwt",
    "good jwt baked png", "good jwt baked svg", "tampered jwt", "jwt with a disallowed header",
    "good controller document", "good jwt EdDSA did:key", "bad date-time",
}


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # Harbour College is on loopback
    settings.VERIFY_RATE_LIMIT = "1000/minute"


def _verify(case, **kw):
    return verify(image=case.data, **kw) if case.image else verify(text=case.data.decode(), **kw)


def failed(result) -> list[str]:
    return [c.message for c in result.checks if not c.passed]


def test_every_case_gets_its_verdict(harbour):
    assert set(harbour.cases) == CASES
    verdicts = {name: _verify(case).verdict for name, case in harbour.cases.items()}
    assert verdicts == {name: case.expect for name, case in harbour.cases.items()}


def test_a_good_credential_is_described_and_every_check_is_in_words(harbour):
    result = _verify(harbour.cases["good"], recipient=LEARNER_EMAIL.upper())
    assert result.verdict == "valid", failed(result)
    messages = [c.message for c in result.checks]
    assert [c.name for c in result.checks] == ["schema", "issuer", "signature", "revocation", "expiry", "recipient"]
    assert "conforms to the 1EdTech JSON schema" in messages[0]
    assert f"belongs to Harbour College ({harbour.did})" in messages[1]
    assert "Data Integrity, eddsa-rdfc-2022" in messages[2]
    assert "checked in its signed status list" in messages[3]
    assert messages[5] == "The email address you entered is the one this badge was issued to."
    assert result.badge["name"] == "Welding Level 2"
    assert result.badge["standard"] == "Open Badges 3.0"
    assert result.badge["criteria"]["narrative"].startswith("Team members are nominated")
    assert result.issuer == {"id": harbour.did, "name": "Harbour College", "url": None, "email": "",
                             "description": "", "image": None, "branding": None}


def test_a_genuine_credential_of_someone_else_is_not_for_this_candidate(harbour):
    result = _verify(harbour.cases["good jwt"], recipient="someone@else.example")
    assert (result.verdict, result.recipient_matched, result.valid) == ("valid", False, False)
    assert result.headline == "Genuine badge, but not issued to this email address"
    assert failed(result) == ["The email address you entered is not the one this badge was issued to."]


@pytest.mark.parametrize(("name", "reason"), [
    ("tampered subject", "The digital signature of this credential is not valid."),
    ("wrong key", "The digital signature of this credential is not valid."),
    ("key not the issuer's", "does not belong to Harbour College"),
    ("key not an assertionMethod", "does not list it as a key for issuing credentials (assertionMethod)"),
    ("revoked by status list", "Harbour College has revoked this credential (its entry 8 in the signed status list"),
    ("revoked by revocation list", "Harbour College has revoked this credential: Awarded in error"),
    ("expired", "This credential expired on"),
    ("unknown context", "uses a context the verifier does not know (https://contexts.example.org/badges/v1.jsonld)"),
    ("schema violation", "does not conform to the 1EdTech Open Badges 3.0 JSON schema: "
                         "credentialSubject/achievement: 'criteria' is a required property"),
    ("bad date-time", "does not conform to the 1EdTech Open Badges 3.0 JSON schema: "
                      "awardedDate: '2 December 2026' is not a 'date-time'"),
    ("tampered jwt", "The JWT's signature or claims are not valid"),
    ("jwt with a disallowed header", "The JWT header has parameters VC-JWT does not allow: jku."),
])
def test_each_broken_credential_says_why(harbour, name, reason):
    messages = failed(_verify(harbour.cases[name]))
    assert len(messages) == 1, messages
    assert reason in messages[0]


def test_links_to_a_credential_and_to_its_jwt_are_fetched_and_verified(harbour):
    for name in ("good", "good jwt", "revoked by revocation list"):
        case = harbour.cases[name]
        assert verify(url=case.url).verdict == case.expect, name


def test_a_revoked_credential_is_revoked_on_the_next_verification(harbour):
    case = harbour.cases["good"]
    assert verify(text=case.data.decode()).verdict == "valid"
    harbour.revoke_index_7()
    try:
        result = verify(text=case.data.decode())
    finally:
        harbour.unrevoke()
    assert result.verdict == "revoked"
    assert "its entry 7 in the signed status list is set" in failed(result)[0]


def test_an_unknown_context_is_never_fetched(harbour):
    doc = json.loads(harbour.cases["good"].data)
    doc["@context"].append(harbour.server.url("/context.jsonld"))
    harbour.server.routes["/context.jsonld"] = (200, {"Content-Type": "application/ld+json"}, b'{"@context": {}}')
    requests = len(harbour.server.hosts)
    result = verify(text=json.dumps(doc))
    assert result.verdict == "invalid"
    assert "contexts are never fetched" in failed(result)[0]
    assert len(harbour.server.hosts) == requests


@pytest.mark.parametrize("typed", [True, False])
def test_a_member_respelled_as_a_full_iri_is_not_read_as_valid(harbour, typed):
    # The proof signs the RDF: validUntil written as its IRI still verifies, but no check would see it.
    doc = json.loads(harbour.cases["expired"].data)
    until = doc.pop("validUntil")
    doc["https://www.w3.org/2018/credentials#validUntil"] = {
        "@value": until, "@type": "http://www.w3.org/2001/XMLSchema#dateTime"} if typed else until
    result = verify(text=json.dumps(doc))
    assert result.verdict == "invalid"
    respelled = "https://www.w3.org/2018/credentials#validUntil is not written as its context defines it"
    assert respelled in failed(result)[0]


def test_a_status_list_signed_by_another_key_is_not_trusted(harbour):
    status = json.loads((harbour.out / "status" / "1").read_text())
    stranger = json.loads(harbour.cases["key not the issuer's"].data)
    forged = {**status, "proof": stranger["proof"]}  # a proof by a key that is not the issuer's
    harbour.server.json("/status/1", forged)
    try:
        result = verify(text=harbour.cases["good"].data.decode())
    finally:
        harbour.unrevoke()
    assert result.verdict == "invalid"
    assert "The digital signature of the status list is not valid" in failed(result)[0]


@pytest.mark.parametrize("entries", [200, 1000])
def test_a_hostile_graph_is_refused_in_bounded_time(harbour, entries):
    """Evidence entries that look alike, which the schema accepts: blank nodes whose RDFC-1.0 hashes
    collide. Two hundred are canonicalised within RDFC's limits (and the altered credential fails its
    signature); a thousand are refused before any JSON-LD work. Neither burns the worker."""
    doc = json.loads(harbour.cases["good"].data)
    doc["evidence"] = [{"type": ["Evidence"], "name": "Weld", "narrative": "Same"} for _ in range(entries)]
    started = time.monotonic()
    result = verify(text=json.dumps(doc))
    assert time.monotonic() - started < 5
    assert result.verdict == "invalid"
    assert ("The digital signature of this credential is not valid" if entries == 200 else
            "The credential is too large to check") in failed(result)[0]


def test_a_hostile_status_list_is_refused_in_bounded_time(harbour):
    """The status list is fetched from the issuer's server and is JSON-LD too: the same bounds apply."""
    status = json.loads((harbour.out / "status" / "1").read_text())
    status["credentialSubject"]["relatedResource"] = [{"id": f"urn:x:{n}", "digestSRI": "x"} for n in range(2000)]
    harbour.server.json("/status/1", status)
    started = time.monotonic()
    try:
        result = verify(text=harbour.cases["good"].data.decode())
    finally:
        harbour.unrevoke()
    assert time.monotonic() - started < 5
    assert result.verdict == "invalid"
    assert "is too large or uses contexts the verifier does not know" in failed(result)[0]


def test_a_status_list_with_a_respelled_member_is_not_read(harbour):
    status = json.loads((harbour.out / "status" / "1").read_text())
    status["https://www.w3.org/2018/credentials#validUntil"] = "2020-01-01T00:00:00Z"
    harbour.server.json("/status/1", status)
    try:
        result = verify(text=harbour.cases["good"].data.decode())
    finally:
        harbour.unrevoke()
    assert result.verdict == "invalid"
    assert "The status list's member https://www.w3.org/2018/credentials#validUntil is not written" in failed(result)[0]


def test_the_api_and_the_page_verify_ob3_in_every_form(client, harbour):
    good, jwt = harbour.cases["good"], harbour.cases["good jwt"]
    api = "/api/v1/verify/"
    assert client.post(api, {"assertion": json.loads(good.data)}, content_type="application/json"
                       ).json()["verdict"] == "valid"
    assert client.post(api, {"jws": jwt.data.decode().strip()}, content_type="application/json"
                       ).json()["verdict"] == "valid"
    assert client.post(api, {"url": jwt.url}, content_type="application/json").json()["verdict"] == "valid"
    for name in ("good baked png", "good jwt baked svg"):
        case = harbour.cases[name]
        upload = SimpleUploadedFile(case.path.name, case.data)
        assert client.post(api, {"image": upload}).json()["verdict"] == "valid", name
    page = client.post("/verify/", {"badge": good.data.decode(), "recipient": LEARNER_EMAIL}).content.decode()
    assert "Valid badge" in page
    assert "Welding Level 2" in page
    assert "Open Badges 3.0" in page
    assert "The digital signature (Data Integrity, eddsa-rdfc-2022) is valid" in page
    revoked = client.post("/verify/", {"badge": harbour.cases["revoked by status list"].data.decode()})
    assert "Revoked: not valid" in revoked.content.decode()


def test_a_credential_without_a_proof_is_not_trusted(harbour):
    doc = copy.deepcopy(json.loads(harbour.cases["good"].data))
    del doc["proof"]
    result = verify(assertion=doc)
    assert result.verdict == "invalid"
    assert "carries no DataIntegrityProof" in failed(result)[0]


def test_every_format_the_schema_names_is_checked():
    """jsonschema passes a format it has no checker for: rfc3339_validator (locked) checks date-time."""
    schema = json.loads(ob3.SCHEMA_FILE.read_text())
    assert ob3.schema_formats(schema) == {"date", "date-time"}
    checker = FormatChecker()
    assert ob3.schema_formats(schema) <= set(checker.checkers)
    assert not checker.conforms("2 December 2026", "date-time")
    assert checker.conforms("2026-12-02T05:00:00Z", "date-time")


def test_the_verifier_refuses_to_run_without_a_checker_for_a_format_of_the_schema(monkeypatch):
    monkeypatch.delitem(FormatChecker.checkers, "date-time")
    ob3._schema_validator.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="date-time"):
            ob3.schema_problem({})
    finally:
        monkeypatch.undo()
        ob3._schema_validator.cache_clear()
