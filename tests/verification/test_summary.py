"""One builder makes the employer's badge summary for both standards; each standard's adapter only
says where its documents keep the facts. The same award, told by OB 2.0 and by OB 3.0 documents, gives
the same summary but for the standard; hostile values are cut and unsafe links dropped alike."""

from __future__ import annotations

from datetime import UTC, datetime

from verification.summary import badge_summary, ob2_facts, ob3_facts

ISSUED, EXPIRES = datetime(2026, 9, 1, 9, 30, tzinfo=UTC), datetime(2029, 9, 1, tzinfo=UTC)
ACHIEVEMENT = {"id": "https://a.example/badges/1", "name": "  Safe Scaffolding ", "description": "Builds.",
               "image": "javascript:alert(1)", "criteria": {"narrative": "Erect a tower."},
               "alignment": [{"targetName": "CSCS 1", "targetUrl": "https://example.org/cscs"}]}
EVIDENCE = [{"id": "https://example.org/wall", "name": "Wall", "narrative": "x" * 6000}]


def test_the_same_award_in_both_standards_gives_the_same_summary_but_for_the_standard():
    ob2 = badge_summary(ob2_facts(
        {"evidence": EVIDENCE, "narrative": "Did well.", "verification": {"type": "hosted"}},
        {**ACHIEVEMENT, "tags": ["scaffolding", 7]}, {"id": "https://a.example/issuer"},
        issued=ISSUED, expires=EXPIRES, endorsements=[]), assertion_url="https://a.example/a/1")
    ob3 = badge_summary(ob3_facts(
        {"issuer": {"id": "did:web:a.example"}, "evidence": [*EVIDENCE, "https://not-an-object.example"],
         "credentialSubject": {"narrative": "Did well.", "achievement": {**ACHIEVEMENT, "tag": ["scaffolding", 7]}}},
        issued=ISSUED, expires=EXPIRES), assertion_url="https://a.example/a/1")
    assert ob2.pop("standard") == "Open Badges 2.0"
    assert ob3.pop("standard") == "Open Badges 3.0"
    assert (ob2.pop("verification"), ob3.pop("verification")) == ("hosted", "signed")
    assert ob2 == ob3
    assert ob3["name"] == "Safe Scaffolding"
    assert ob3["image"] is None  # not an http(s) or data: image
    assert ob3["tags"] == ["scaffolding"]
    assert len(ob3["evidence"]) == 1  # OB 3.0 evidence is an object
    assert len(ob3["evidence"][0]["narrative"]) == 5000
    assert ob3["issued_on"] == "2026-09-01T09:30:00Z"


def test_the_adapters_name_the_issuer_by_its_id_in_each_standard():
    assert ob3_facts({"issuer": "did:web:a.example"}, issued=None, expires=None).issuer_id == "did:web:a.example"
    assert ob2_facts({}, {}, {"id": "urn:not-http"}, issued=None, expires=None, endorsements=[]).issuer_id is None
