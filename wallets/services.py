"""OpenID4VCI 1.0 issuance of an award's Open Badges 3.0 credential, pre-authorized code flow:

1. ``wallet_offer_create``: the learner's page (or the award email's link) makes a short-lived offer
   for one award; its link goes in the ``openid-credential-offer://`` deep link and the QR code.
2. ``wallet_token_grant``: the wallet trades the offer's pre-authorized code (and the transaction
   code, when the offer asks for one) for an access token, once.
3. ``wallet_nonce_create``: the wallet gets a ``c_nonce`` and signs a key proof over it.
4. ``wallet_credential_issue``: with the token and the proof, the wallet gets the credential, bound
   to its DID and signed afresh; without a proof, the credential names the hashed email as usual.

Every step claims its row with a compare-and-swap UPDATE, so a code or nonce works once even when two
requests race. Refusals are :class:`wallets.errors.WalletError` with the spec's error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assertions.models import Assertion
from credentials.services import credential_for_holder, credential_record
from insights.events import event_count
from issuers.scoping import tenant_scope, unscoped
from wallets import metadata
from wallets.errors import WalletError
from wallets.models import WalletDelivery, WalletNonce, WalletOffer, WalletToken
from wallets.proofs import ProofError, proof_check
from wallets.secrets import code_of_link, keyed_hash, matches, new_secret, new_tx_code

OFFER_LIFETIME = timedelta(minutes=10)
TOKEN_LIFETIME = timedelta(minutes=10)
NONCE_LIFETIME = timedelta(minutes=5)
MAX_WRONG_TX_CODES = 5
OFFER_SCHEME = "openid-credential-offer://"


@dataclass(frozen=True)
class OfferMade:
    offer: WalletOffer
    offer_uri: str  # credential_offer_uri: where the wallet fetches the offer
    tx_code: str  # shown to the learner beside the QR code; empty when the offer asks for none

    @property
    def deep_link(self) -> str:
        return f"{OFFER_SCHEME}?credential_offer_uri={quote(self.offer_uri, safe='')}"


def wallet_offer_create(*, assertion: Assertion, tx_code: bool = True) -> OfferMade:
    """A new offer of ``assertion``'s credential for a wallet, valid for ``OFFER_LIFETIME``."""
    if assertion.revoked:
        raise ValidationError("A revoked badge cannot be added to a wallet.")
    link = new_secret()
    code = code_of_link(link)
    tx = new_tx_code() if tx_code else ""
    now = timezone.now()
    with tenant_scope(assertion.tenant):
        # Each page view makes an offer: those never redeemed are dropped a day after they expired.
        WalletOffer.objects.filter(assertion=assertion, redeemed_at=None,
                                   expires_at__lt=now - timedelta(days=1)).delete()
        offer = WalletOffer.objects.create(
            tenant=assertion.tenant, assertion=assertion, link_hash=keyed_hash("offer-link", link),
            code_hash=keyed_hash("code", code), tx_code_hash=keyed_hash("tx-code", tx) if tx else "",
            expires_at=now + OFFER_LIFETIME)
    return OfferMade(offer=offer, offer_uri=metadata.endpoint(f"offers/{link}"), tx_code=tx)


def _refuse_grant(description: str) -> WalletError:
    return WalletError("invalid_grant", description)


def wallet_token_grant(*, grant_type: str, code: str, tx_code: str | None) -> dict[str, Any]:
    """The token response (RFC 6749 section 5.1) for a pre-authorized code, which works once."""
    if grant_type != metadata.PRE_AUTHORIZED_GRANT:
        raise WalletError("unsupported_grant_type", f"Only {metadata.PRE_AUTHORIZED_GRANT} is supported.")
    if not code:
        raise WalletError("invalid_request", "The pre-authorized_code parameter is missing.")
    with unscoped("a wallet redeems a pre-authorized code: the code names its award, of any college"):
        offer = WalletOffer.objects.select_related("tenant").filter(code_hash=keyed_hash("code", code)).first()
    if offer is None:
        raise _refuse_grant("The pre-authorized code is not valid.")
    with tenant_scope(offer.tenant):
        return _grant(offer, tx_code)


def _grant(offer: WalletOffer, tx_code: str | None) -> dict[str, Any]:
    now = timezone.now()
    if offer.redeemed_at is not None:
        raise _refuse_grant("The pre-authorized code has already been used.")
    if offer.expires_at <= now:
        raise _refuse_grant("The pre-authorized code has expired: open the badge's page for a new QR code.")
    if offer.tx_code_hash and not tx_code:
        raise WalletError("invalid_request", "This offer needs the transaction code shown beside its QR code.")
    if not offer.tx_code_hash and tx_code:
        raise WalletError("invalid_request", "This offer has no transaction code.")
    if offer.tx_code_hash and not matches("tx-code", tx_code or "", offer.tx_code_hash):
        # Counted, and the code burnt after a few wrong tries: six digits must not be guessable.
        WalletOffer.objects.filter(pk=offer.pk).update(wrong_tx_codes=F("wrong_tx_codes") + 1)
        WalletOffer.objects.filter(pk=offer.pk, wrong_tx_codes__gte=MAX_WRONG_TX_CODES,
                                   redeemed_at=None).update(redeemed_at=now)
        raise _refuse_grant("The transaction code is not right.")
    with transaction.atomic():
        claimed = WalletOffer.objects.filter(pk=offer.pk, redeemed_at=None, expires_at__gt=now).update(redeemed_at=now)
        if not claimed:
            raise _refuse_grant("The pre-authorized code has already been used.")
        token = new_secret()
        WalletToken.objects.create(tenant=offer.tenant, offer=offer, token_hash=keyed_hash("token", token),
                                   expires_at=now + TOKEN_LIFETIME)
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(TOKEN_LIFETIME.total_seconds())}


def wallet_nonce_create() -> dict[str, Any]:
    """A fresh ``c_nonce`` (section 7), used once; stale ones are cleared on the way."""
    now = timezone.now()
    WalletNonce.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    nonce = new_secret()
    WalletNonce.objects.create(value_hash=keyed_hash("nonce", nonce), expires_at=now + NONCE_LIFETIME)
    return {"c_nonce": nonce}


def _nonce_use(nonce: str) -> None:
    now = timezone.now()
    used = WalletNonce.objects.filter(value_hash=keyed_hash("nonce", nonce), used_at=None,
                                      expires_at__gt=now).update(used_at=now)
    if not used:
        raise WalletError("invalid_nonce", "The proof's nonce is not one this issuer gave, or it was used or "
                                           "has expired: ask the nonce endpoint for a new one.")


def _token_of(access_token: str) -> WalletToken:
    with unscoped("a wallet's access token names the one award it may fetch, of any college"):
        token = (WalletToken.objects.select_related("tenant", "offer__assertion__badge_class__issuer")
                 .filter(token_hash=keyed_hash("token", access_token)).first())
    if token is None or token.expires_at <= timezone.now():
        raise WalletError("invalid_token", "The access token is not valid or has expired.", status=401)
    return token


def _configuration(request: dict[str, Any]) -> str:
    if "credential_identifier" in request:
        raise WalletError("unknown_credential_identifier", "This issuer gives no credential identifiers: "
                                                           "ask by credential_configuration_id.")
    configuration = request.get("credential_configuration_id")
    if not isinstance(configuration, str):
        raise WalletError("invalid_credential_request", "credential_configuration_id is missing.")
    if configuration not in metadata.FORMATS:
        raise WalletError("unknown_credential_configuration",
                          f"Unknown credential configuration; this issuer offers {', '.join(metadata.FORMATS)}.")
    return configuration


def _proof_jwts(request: dict[str, Any]) -> list[str]:
    """The JWT key proofs of the request: ``proofs.jwt`` (1.0), or the single ``proof`` earlier drafts sent."""
    proofs, proof = request.get("proofs"), request.get("proof")
    if proofs is not None and proof is not None:
        raise WalletError("invalid_credential_request", "Send proofs or proof, not both.")
    if proof is not None:
        if not isinstance(proof, dict) or proof.get("proof_type") != "jwt" or "jwt" not in proof:
            raise WalletError("invalid_proof", "Only proofs of type jwt are supported.")
        return [proof["jwt"]]
    if proofs is None:
        return []
    if not isinstance(proofs, dict) or set(proofs) != {"jwt"} or not isinstance(proofs["jwt"], list):
        raise WalletError("invalid_proof", "proofs must be {\"jwt\": [one JWT]}: only jwt proofs are supported.")
    if len(proofs["jwt"]) != 1:
        raise WalletError("invalid_credential_request", "Send one key proof: this issuer gives one credential "
                                                        "per request.")
    return list(proofs["jwt"])


def wallet_credential_issue(*, access_token: str, request: Any) -> dict[str, Any]:
    """The credential response (section 8.3) for a credential request sent with an access token."""
    token = _token_of(access_token)
    if not isinstance(request, dict):
        raise WalletError("invalid_credential_request", "The credential request must be a JSON object.")
    configuration = _configuration(request)
    jwts = _proof_jwts(request)
    holder = ""
    if jwts:
        try:
            proven = proof_check(jwts[0], audience=metadata.issuer_identifier(), now=timezone.now())
        except ProofError as exc:
            raise WalletError("invalid_proof", str(exc)) from exc
        _nonce_use(proven.nonce)
        holder = proven.holder
    with tenant_scope(token.tenant):
        return _deliver(token, configuration, holder)


def _deliver(token: WalletToken, configuration: str, holder: str) -> dict[str, Any]:
    assertion = token.offer.assertion
    if assertion.revoked:
        raise WalletError("credential_request_denied", "The issuer has revoked this badge.")
    fmt = metadata.FORMATS[configuration]
    credential = credential_for_holder(assertion, credential_record(assertion), subject_id=holder,
                                       jwt=fmt == WalletDelivery.Format.JWT_VC_JSON)
    WalletDelivery.objects.create(tenant=token.tenant, assertion=assertion, offer=token.offer, format=fmt,
                                  subject_id=holder)
    transaction.on_commit(lambda: event_count(kind="wallet", tenant_id=assertion.tenant_id,
                                              badge_class_id=assertion.badge_class_id, assertion_id=assertion.pk))
    return {"credentials": [{"credential": credential}]}
