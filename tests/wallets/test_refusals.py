"""What the issuer refuses, with the error codes of OpenID4VCI 1.0 and RFC 6749: first as the outside
client meets them (a reused code, an expired code, a wrong transaction code, a proof over a nonce we
never gave or one already used), then each rule on its own through the endpoints."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assertions.services import assertion_revoke
from credentials.keys import credential_key_rotate
from credentials.proof import proof_verify
from issuers.scoping import tenant_scope, unscoped
from tests.support.wallets import JWT_VC_JSON, LDP_VC, PageOffer, key_proof, offer_on, wallet
from wallets import services
from wallets.metadata import PRE_AUTHORIZED_GRANT
from wallets.models import WalletDelivery, WalletOffer, WalletToken
from wallets.services import MAX_WRONG_TX_CODES

# --- as the outside client meets them ---------------------------------------------------------------


def test_a_code_works_once(live, client, lees_page):
    got = wallet(offer_on(client.get(lees_page).content.decode()), token_twice=True)
    assert "access_token" in got["token"]
    assert got["secondTokenError"]["error"] == "invalid_grant"
    assert "already been used" in got["secondTokenError"]["error_description"]


def test_an_expired_code_is_refused(live, client, lees_page):
    offer = offer_on(client.get(lees_page).content.decode())
    uri = parse_qs(urlsplit(offer.deep_link).query)["credential_offer_uri"][0]
    document = client.get(urlsplit(uri).path).json()  # the offer as the wallet read it, before it expired
    with unscoped("test"):
        WalletOffer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    by_value = PageOffer(f"openid-credential-offer://?credential_offer={json.dumps(document)}", offer.tx_code)
    got = wallet(by_value)
    assert got["tokenError"]["error"] == "invalid_grant"
    assert "expired" in got["tokenError"]["error_description"]
    assert client.get(urlsplit(uri).path).status_code == 404  # and the link no longer gives it out


def test_a_wrong_transaction_code_is_refused(live, client, lees_page):
    offer = offer_on(client.get(lees_page).content.decode())
    wrong = "111111" if offer.tx_code != "111111" else "222222"
    got = wallet(offer, tx_code=wrong)
    assert got["tokenError"]["error"] == "invalid_grant"
    assert "transaction code" in got["tokenError"]["error_description"]


def test_a_proof_over_a_nonce_we_never_gave_is_refused(live, client, lees_page):
    got = wallet(offer_on(client.get(lees_page).content.decode()), nonce="made-up")
    assert got["credentialError"]["error"] == "invalid_nonce"
    assert not WalletDelivery.objects.exists()


def test_a_nonce_works_for_one_credential(live, client, lees_page):
    got = wallet(offer_on(client.get(lees_page).content.decode()), configuration=JWT_VC_JSON, nonce="reused")
    assert isinstance(got["credential"], str)
    assert got["secondCredentialError"]["error"] == "invalid_nonce"


# --- each rule through the endpoints ----------------------------------------------------------------


def _offer(client, lees_page) -> tuple[str, str | None]:
    """The pre-authorized code and transaction code of a fresh offer from Lee's page."""
    offer = offer_on(client.get(lees_page).content.decode())
    uri = parse_qs(urlsplit(offer.deep_link).query)["credential_offer_uri"][0]
    document = client.get(urlsplit(uri).path).json()
    return document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"], offer.tx_code


def _token(client, code, tx_code, grant=PRE_AUTHORIZED_GRANT):
    data = {"grant_type": grant, "pre-authorized_code": code}
    if tx_code is not None:
        data["tx_code"] = tx_code
    return client.post("/wallet/token", data)


def _access_token(client, lees_page) -> str:
    code, tx = _offer(client, lees_page)
    return _token(client, code, tx).json()["access_token"]


def _credential(client, token: str, body) -> object:
    return client.post("/wallet/credential", body if isinstance(body, str) else json.dumps(body),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _nonce(client) -> str:
    return client.post("/wallet/nonce").json()["c_nonce"]


def test_the_token_endpoint_answers_each_mistake_with_its_error(client, lees_page):
    code, tx = _offer(client, lees_page)
    assert _token(client, code, tx, grant="authorization_code").json()["error"] == "unsupported_grant_type"
    assert _token(client, "", tx).json()["error"] == "invalid_request"
    assert _token(client, "not-a-code", tx).json()["error"] == "invalid_grant"
    missing = _token(client, code, None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    ok = _token(client, code, tx)
    assert ok.status_code == 200
    assert ok["Cache-Control"] == "no-store"
    assert ok.json()["token_type"] == "Bearer"


def test_wrong_transaction_codes_burn_the_offer(client, lees_page):
    code, tx = _offer(client, lees_page)
    wrong = "111111" if tx != "111111" else "222222"
    for _ in range(MAX_WRONG_TX_CODES):
        assert _token(client, code, wrong).json()["error"] == "invalid_grant"
    refused = _token(client, code, tx).json()
    assert refused["error"] == "invalid_grant"
    assert "already been used" in refused["error_description"]


def test_an_offer_without_a_transaction_code_refuses_one(client, lees_page, settings):
    settings.WALLET_TX_CODE = False
    code, tx = _offer(client, lees_page)
    assert tx is None
    assert _token(client, code, "123456").json()["error"] == "invalid_request"
    assert "access_token" in _token(client, code, None).json()


def test_the_credential_endpoint_refuses_a_missing_or_unknown_token(client, lees_page):
    response = client.post("/wallet/credential", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    response = _credential(client, "not-a-token", {"credential_configuration_id": LDP_VC})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")


def test_an_expired_access_token_is_refused(client, lees_page):
    token = _access_token(client, lees_page)
    with unscoped("test"):
        WalletToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _credential(client, token, {"credential_configuration_id": LDP_VC}).status_code == 401


@pytest.mark.parametrize(("body", "error"), [
    ("not json", "invalid_credential_request"),
    ([], "invalid_credential_request"),
    ({}, "invalid_credential_request"),
    ({"credential_configuration_id": "Diploma_mso_mdoc"}, "unknown_credential_configuration"),
    ({"credential_identifier": "x"}, "unknown_credential_identifier"),
    ({"credential_configuration_id": LDP_VC, "proofs": {"ldp_vp": ["x"]}}, "invalid_proof"),
    ({"credential_configuration_id": LDP_VC, "proofs": {"jwt": "x"}}, "invalid_proof"),
    ({"credential_configuration_id": LDP_VC, "proofs": {"jwt": ["a.b.c"]}}, "invalid_proof"),
    ({"credential_configuration_id": LDP_VC, "proofs": {"jwt": ["x", "y"]}}, "invalid_credential_request"),
])
def test_a_malformed_credential_request_gets_its_error_not_a_500(client, lees_page, body, error):
    response = _credential(client, _access_token(client, lees_page), body)
    assert (response.status_code, response.json()["error"]) == (400, error)


@pytest.mark.parametrize("bad", ["aud", "typ", "iat"])
def test_a_proof_for_another_issuer_of_another_type_or_time_is_invalid(client, lees_page, bad):
    token, nonce = _access_token(client, lees_page), _nonce(client)
    proof, _ = key_proof(nonce, **{"aud": {"aud": "https://elsewhere.example"}, "typ": {"typ": "JWT"},
                                "iat": {"iat": time.time() - 3600}}[bad])
    response = _credential(client, token, {"credential_configuration_id": LDP_VC, "proofs": {"jwt": [proof]}})
    assert response.json()["error"] == "invalid_proof", response.json()


def test_a_proof_signed_by_another_key_is_invalid(client, lees_page):
    token, nonce = _access_token(client, lees_page), _nonce(client)
    proof, _ = key_proof(nonce)
    other, _ = key_proof(nonce)
    forged = ".".join([other.split(".")[0], *proof.split(".")[1:]])  # another did:key, this signature
    response = _credential(client, token, {"credential_configuration_id": LDP_VC, "proofs": {"jwt": [forged]}})
    assert response.json()["error"] == "invalid_proof"


def test_a_good_proof_binds_the_credential_and_the_draft_proof_parameter_is_read_too(client, lees_page):
    token, nonce = _access_token(client, lees_page), _nonce(client)
    proof, did = key_proof(nonce)
    response = _credential(client, token, {"credential_configuration_id": LDP_VC,
                                           "proof": {"proof_type": "jwt", "jwt": proof}})
    assert response.status_code == 200, response.json()
    assert response.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == did


def test_a_revoked_award_is_neither_offered_nor_delivered(client, lees_page, lees_award):
    token = _access_token(client, lees_page)
    with tenant_scope(lees_award.tenant):
        assertion_revoke(assertion=lees_award, reason="Issued in error", actor=None)
    response = _credential(client, token, {"credential_configuration_id": LDP_VC})
    assert response.json()["error"] == "credential_request_denied"
    page = client.get(lees_page).content.decode()
    assert "A revoked badge cannot be added to a wallet." in page
    assert 'id="wallet-add"' not in page
    lees_award.refresh_from_db()
    with pytest.raises(ValidationError, match="revoked"):
        services.wallet_offer_create(assertion=lees_award)


def test_after_a_key_rotation_a_wallet_gets_the_credential_signed_by_the_new_key(client, lees_page, lees_award):
    token, nonce = _access_token(client, lees_page), _nonce(client)
    issuer = lees_award.badge_class.issuer
    with tenant_scope(lees_award.tenant):
        new = credential_key_rotate(issuer=issuer, actor=None)
    proof, _ = key_proof(nonce)
    credential = _credential(client, token, {"credential_configuration_id": LDP_VC,
                                             "proofs": {"jwt": [proof]}}).json()["credentials"][0]["credential"]
    assert credential["proof"][0]["verificationMethod"].endswith(f"#{new.public_key_multibase}")
    assert proof_verify(credential, new.public_key_multibase)


def test_offers_never_redeemed_are_dropped_a_day_after_they_expired(client, lees_page, lees_award):
    client.get(lees_page)
    with unscoped("test"):
        WalletOffer.objects.update(expires_at=timezone.now() - timedelta(days=2))
    client.get(lees_page)
    with unscoped("test"):
        assert WalletOffer.objects.count() == 1
