"""Differential test for Open Badges 3.0: our verifier and ob3check (Digital Bazaar's libraries and the
1EdTech JSON schema, offline) judge the same good and broken foreign credentials, each as a file and our
verifier also by upload or text. They must agree on valid / revoked / expired / invalid; every known
disagreement is listed in DISAGREEMENTS with the reason (there are none today)."""

from __future__ import annotations

import pytest

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
