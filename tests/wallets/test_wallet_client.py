"""An outside OpenID4VCI 1.0 client (Animo's @openid4vc/openid4vci, from npm) takes the offer from
Lee's badge page, gets a token with the transaction code shown there, asks for a nonce and gets the
credential with a key proof: in both formats it verifies with ob3check, with the wallet's DID as its
subject, and it is revoked by the status list when the college revokes the award."""

from __future__ import annotations

import json

from assertions.services import assertion_revoke
from issuers.scoping import tenant_scope
from tests.support.ob3 import ob3check
from tests.support.wallets import JWT_VC_JSON, LDP_VC, offer_on, wallet
from wallets.models import WalletDelivery


def _checked(tmp_path, credential, name: str) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(credential if isinstance(credential, str) else json.dumps(credential))
    return ob3check(str(path))


def test_a_wallet_gets_the_credential_bound_to_its_did_and_ob3check_verifies_it(live, client, lees_page,
                                                                                lees_award, tmp_path):
    offer = offer_on(client.get(lees_page).content.decode())
    assert offer.deep_link.startswith("openid-credential-offer://?credential_offer_uri=")
    assert offer.tx_code
    got = wallet(offer, configuration=LDP_VC)
    assert "tokenError" not in got, got
    assert "credentialError" not in got, got
    assert got["credentialConfigurations"] == [LDP_VC, JWT_VC_JSON]
    credential = got["credential"]
    assert credential["credentialSubject"]["id"] == got["holder"]
    assert got["holder"].startswith("did:key:z6Mk")
    status, report = _checked(tmp_path, credential, "wallet.json")
    assert (status, report.rstrip().splitlines()[-1]) == (0, "VALID"), report
    assert f"PASS  subject: {got['holder']}" in report
    assert "key is the issuer's assertionMethod" in report
    # Signed afresh: not the award's usual credential, whose subject is the hashed email alone.
    usual = client.get(f"/public/credentials/{lees_award.public_id}").json()
    assert "id" not in usual["credentialSubject"]
    assert credential["proof"][0]["proofValue"] != usual["proof"][0]["proofValue"]
    with tenant_scope(lees_award.tenant):
        (delivery,) = WalletDelivery.objects.filter(assertion=lees_award)
    assert (delivery.format, delivery.subject_id) == ("ldp_vc", got["holder"])
    assert "Added to a wallet on" in client.get(lees_page).content.decode()

    with tenant_scope(lees_award.tenant):
        assertion_revoke(assertion=lees_award, reason="Issued in error", actor=None)
    status, report = _checked(tmp_path, credential, "wallet.json")
    assert status == 1, report
    assert "revoked" in report.lower(), report


def test_the_vc_jwt_form_is_bound_to_a_jwk_the_wallet_sent(live, client, lees_page, tmp_path):
    got = wallet(offer_on(client.get(lees_page).content.decode()), configuration=JWT_VC_JSON, key="jwk")
    assert "credentialError" not in got, got
    token = got["credential"]
    assert isinstance(token, str)
    assert token.count(".") == 2
    status, report = _checked(tmp_path, token, "wallet.jwt")
    assert status == 0, report
    subject = next(line for line in report.splitlines() if "subject:" in line)
    assert "did:jwk:" in subject, report


def test_without_a_key_proof_the_subject_is_the_hashed_email(live, client, lees_page, tmp_path):
    got = wallet(offer_on(client.get(lees_page).content.decode()), key="none")
    assert "credentialError" not in got, got
    subject = got["credential"]["credentialSubject"]
    assert "id" not in subject
    assert subject["identifier"][0]["hashed"] is True
    status, report = _checked(tmp_path, got["credential"], "plain.json")
    assert status == 0, report
