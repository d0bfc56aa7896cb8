"""Differential test for Open Badges 3.0: our verifier and ob3check (Digital Bazaar's libraries and the
1EdTech JSON schema, offline) judge the same good and broken foreign credentials (each as a file; our
verifier by upload or text), and our own credentials served by a live server. They must agree on
valid / revoked / expired / invalid; every known disagreement is listed in DISAGREEMENTS with the
reason (there are none today)."""

from __future__ import annotations

import json

import pytest

from assertions import documents
from assertions.services import assertion_revoke
from credentials import services
from issuers.scoping import tenant_scope
from tests.support.ob3 import ob3check_failures, ob3check_report
from verification.verifier import verify

# case -> (what our verifier says, what ob3check says, why they differ)
DISAGREEMENTS: dict[str, tuple[str, str, str]] = {}


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True  # the foreign issuer is on loopback


def judged_by_ob3check(report: dict) -> str:
    """ob3check's verdict in our words: it prints INVALID for all three, and says why in the failed check."""
    if report["valid"]:
        return "valid"
    failures = ob3check_failures(report)
    if any(f.startswith("credentialStatus: REVOKED") for f in failures):
        return "revoked"
    if failures and all(f.startswith("validUntil: expired") for f in failures):
        return "expired"
    return "invalid"


def test_our_verifier_and_ob3check_agree_on_every_case(harbour):
    found = {}
    for name, case in harbour.cases.items():
        ours = (verify(image=case.data) if case.image else verify(text=case.data.decode())).verdict
        theirs = judged_by_ob3check(ob3check_report(case.path))
        assert ours == case.expect, (name, ours)  # our verdict is the one the case was built for
        if ours != theirs:
            found[name] = (ours, theirs)
    assert found == {name: (ours, theirs) for name, (ours, theirs, _why) in DISAGREEMENTS.items()}


def test_both_read_the_credential_and_its_jwt_from_a_link(harbour):
    for name in ("good", "good jwt", "revoked by status list"):
        case = harbour.cases[name]
        assert verify(url=case.url).verdict == judged_by_ob3check(ob3check_report(case.url)) == case.expect, name


def test_our_verifier_and_ob3check_agree_on_our_own_credentials(live_server, settings, tenant_a, issue, tmp_path):
    """Ours, served by a live server (ob3check reads the DID document, status list and revocation list
    over loopback; our verifier reads them from the database)."""
    settings.PUBLIC_BASE_URL = live_server.url
    good, revoked = issue("png"), issue("svg")
    with tenant_scope(tenant_a):
        files = {}
        for name, award in (("good", good), ("revoked", revoked)):
            record = services.credential_record(award)
            files[f"{name}.json"] = documents.serialize(services.credential_signed(award, record))
            files[f"{name}.jwt"] = services.credential_jwt(award, record).encode()
        files["good baked.png"] = services.credential_bake(good, services.credential_record(good))
        files["revoked baked.svg"] = services.credential_bake(revoked, services.credential_record(revoked))
        tampered = json.loads(files["good.json"])
        tampered["credentialSubject"]["achievement"]["name"] = "Master Bricklayer"
        files["tampered.json"] = json.dumps(tampered).encode()
        assertion_revoke(assertion=revoked, reason="Issued in error")
    found = {}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        ours = (verify(image=data) if name.endswith((".png", ".svg")) else verify(text=data.decode())).verdict
        found[name] = (ours, judged_by_ob3check(ob3check_report(path)))
    assert found == {"good.json": ("valid", "valid"), "good.jwt": ("valid", "valid"),
                     "good baked.png": ("valid", "valid"), "tampered.json": ("invalid", "invalid"),
                     "revoked.json": ("revoked", "revoked"), "revoked.jwt": ("revoked", "revoked"),
                     "revoked baked.svg": ("revoked", "revoked")}
