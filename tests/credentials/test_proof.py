"""eddsa-rdfc-2022 proofs (credentials.proof): the spec's test vector verifies, our own signatures
verify, and any change to the credential, another key or a hostile document fails with a reason."""

from __future__ import annotations

import copy
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.jsonld import CREDENTIAL_CONTEXT
from credentials.multibase import multikey_from_public_key, public_key_from_multikey
from credentials.proof import CRYPTOSUITE, Ed25519Signer, proof_sign, proof_verify, unsecured
from tests.support.ob3 import SPEC_VECTOR_KEY, spec_vector_credential


def _signed() -> tuple[dict, str]:
    private = Ed25519PrivateKey.generate()
    multikey = multikey_from_public_key(private.public_key())
    credential = unsecured(spec_vector_credential())
    credential["@context"] = CREDENTIAL_CONTEXT
    return proof_sign(credential, Ed25519Signer(private, f"did:web:example.edu#{multikey}")), multikey


def test_the_spec_test_vector_verifies_with_the_specs_key():
    result = proof_verify(spec_vector_credential(), SPEC_VECTOR_KEY)
    assert result.valid, result.message


def test_the_spec_test_vector_changed_by_one_letter_does_not_verify():
    credential = spec_vector_credential()
    credential["credentialSubject"]["achievement"]["name"] = "Teamwerk"
    result = proof_verify(credential, SPEC_VECTOR_KEY)
    assert not result
    assert "changed" in result.message


def test_a_credential_we_sign_verifies_and_its_proof_is_a_one_item_list():
    signed, multikey = _signed()
    assert isinstance(signed["proof"], list)
    assert len(signed["proof"]) == 1
    proof = signed["proof"][0]
    assert proof["cryptosuite"] == CRYPTOSUITE
    assert proof["proofValue"].startswith("z")
    assert proof["verificationMethod"].endswith("#" + multikey)
    assert proof_verify(signed, multikey)


def test_another_key_does_not_verify_our_signature():
    signed, _ = _signed()
    other = multikey_from_public_key(Ed25519PrivateKey.generate().public_key())
    assert not proof_verify(signed, other)


def test_a_changed_proof_option_does_not_verify():
    signed, multikey = _signed()
    changed = copy.deepcopy(signed)
    changed["proof"][0]["created"] = "2001-01-01T00:00:00Z"
    assert not proof_verify(changed, multikey)


def test_the_multikey_round_trips_and_starts_z6mk():
    public = Ed25519PrivateKey.generate().public_key()
    multikey = multikey_from_public_key(public)
    assert multikey.startswith("z6Mk")
    assert public_key_from_multikey(multikey) == public


def test_bad_input_gets_a_reason_never_an_exception():
    signed, multikey = _signed()
    cases = [
        ("not a dict", multikey),
        ({**signed, "proof": []}, multikey),
        ({**signed, "proof": [{**signed["proof"][0], "proofValue": "z0OIl"}]}, multikey),
        ({**signed, "proof": [{**signed["proof"][0], "proofPurpose": "authentication"}]}, multikey),
        ({**signed, "@context": [*CREDENTIAL_CONTEXT, "https://evil.example/c"]}, multikey),
        (signed, "zNotAKey"),
    ]
    for document, key in cases:
        result = proof_verify(document, key)  # type: ignore[arg-type]
        assert not result.valid
        assert result.message


def test_a_hostile_credential_is_refused_quickly():
    signed, multikey = _signed()
    hostile = copy.deepcopy(signed)
    # many alike blank nodes that all point at one another: the shape that makes RDFC explode
    hostile["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x"} for _ in range(400)]
    started = time.monotonic()
    result = proof_verify(hostile, multikey)
    assert not result.valid
    assert time.monotonic() - started < 5
