"""Where a learner finds "Add to wallet": their badge page (the deep link, the QR code, the
transaction code, and when they added it before) and the award email's link, which opens a fresh
offer; the metadata wallets read; and the outcomes dashboard counting what wallets took."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.core import mail

from assertions.emails import award_message
from assertions.services import assertion_revoke
from insights.selectors import outcomes
from issuers.scoping import tenant_scope
from tests.support import eager_tasks
from tests.support.learners import award
from tests.support.wallets import LDP_VC, key_proof, offer_on, wallet
from wallets.models import WalletDelivery, WalletOffer
from wallets.pages import email_link
from wallets.services import wallet_offer_create


def test_the_badge_page_offers_the_badge_to_a_wallet(client, lees_page, lees_award):
    page = client.get(lees_page).content.decode()
    offer = offer_on(page)
    assert offer.deep_link.startswith("openid-credential-offer://?credential_offer_uri=http%3A%2F%2F")
    assert re.fullmatch(r"\d{6}", offer.tx_code)
    assert '<div class="wallet-qr" id="wallet-qr"><svg' in page
    with tenant_scope(lees_award.tenant):
        made = WalletOffer.objects.get(assertion=lees_award)
    assert abs(made.expires_at - made.created_at - timedelta(minutes=10)) < timedelta(seconds=1)
    assert offer.tx_code not in made.tx_code_hash  # only a keyed hash is kept


def test_the_offer_link_gives_the_offer_once_and_names_both_formats(client, lees_page):
    offer = offer_on(client.get(lees_page).content.decode())
    path = re.search(r"(%2Fwallet%2Foffers%2F.*)$", offer.deep_link).group(1).replace("%2F", "/")
    document = client.get(path).json()
    assert document["credential_configuration_ids"] == ["OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_jwt_vc_json"]
    grant = document["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"] == {"input_mode": "numeric", "length": 6, "description": grant["tx_code"]["description"]}
    assert client.post("/wallet/token", {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                         "pre-authorized_code": grant["pre-authorized_code"],
                                         "tx_code": offer.tx_code}).status_code == 200
    assert client.get(path).status_code == 404  # redeemed: the link gives nothing more
    assert client.get("/wallet/offers/made-up").status_code == 404


def test_the_metadata_documents_name_the_endpoints(client, settings):
    issuer = client.get("/.well-known/openid-credential-issuer").json()
    base = settings.PUBLIC_BASE_URL
    assert issuer["credential_issuer"] == base
    assert (issuer["credential_endpoint"], issuer["nonce_endpoint"]) == (f"{base}/wallet/credential",
                                                                         f"{base}/wallet/nonce")
    configs = issuer["credential_configurations_supported"]
    assert {c["format"] for c in configs.values()} == {"ldp_vc", "jwt_vc_json"}
    assert configs[LDP_VC]["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["token_endpoint"] == f"{base}/wallet/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


def test_the_page_and_the_data_export_say_when_the_badge_was_added_to_a_wallet(client, lees_page, lees_award):
    with tenant_scope(lees_award.tenant):
        made = wallet_offer_create(assertion=lees_award)
        delivery = WalletDelivery.objects.create(tenant=lees_award.tenant, assertion=lees_award, offer=made.offer,
                                                 format="ldp_vc", subject_id="did:key:z6MkExample")
        WalletDelivery.objects.filter(pk=delivery.pk).update(delivered_at=datetime(2026, 12, 3, 12, tzinfo=UTC))
    page = client.get(lees_page).content.decode()
    assert "Added to a wallet on 3 December 2026 (bound to the wallet's key)" in page
    (exported,) = client.get("/backpack/my-data.json").json()["awards"]
    assert exported["wallet_deliveries"] == [{"format": "ldp_vc", "bound_to": "did:key:z6MkExample",
                                              "delivered_at": "2026-12-03T12:00:00Z"}]


def test_another_learner_sees_no_offer_of_lees_badge(client, lees_page, other_learner):
    client.force_login(other_learner)
    assert client.get(lees_page).status_code == 404
    assert not WalletOffer.objects.exists()


def test_the_award_email_links_to_a_page_with_a_fresh_offer(live, client, badge_a, tmp_path):
    a = award(badge_a)
    with tenant_scope(badge_a.tenant):
        message = award_message(a)
    link = re.search(r"(http://\S+/wallet/add/\S+/)", message.body).group(1)
    assert link in message.alternatives[0][0]
    path = link.removeprefix(live.url)
    client.logout()  # the link works without signing in, as the claim link does
    page = client.get(path)
    assert page.status_code == 200
    got = wallet(offer_on(page.content.decode()))
    assert got["credential"]["credentialSubject"]["id"] == got["holder"]
    assert client.get("/wallet/add/forged/").status_code == 404
    mail.outbox.clear()


def test_an_email_link_of_a_revoked_award_says_so(client, badge_a):
    a = award(badge_a)
    with tenant_scope(badge_a.tenant):
        link = email_link(a)
        assertion_revoke(assertion=a, reason="Issued in error", actor=None)
    response = client.get(urlsplit(link).path)
    assert response.status_code == 410
    assert "A revoked badge cannot be added to a wallet." in response.content.decode()


def test_outcomes_count_the_credentials_wallets_took(client, lees_page, lees_award,
                                                     django_capture_on_commit_callbacks):
    code_page = offer_on(client.get(lees_page).content.decode())
    path = re.search(r"(%2Fwallet%2Foffers%2F.*)$", code_page.deep_link).group(1).replace("%2F", "/")
    code = client.get(path).json()["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    token = client.post("/wallet/token", {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                          "pre-authorized_code": code["pre-authorized_code"],
                                          "tx_code": code_page.tx_code}).json()["access_token"]
    proof, _ = key_proof(client.post("/wallet/nonce").json()["c_nonce"])
    with eager_tasks(), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/wallet/credential", json.dumps({"credential_configuration_id": LDP_VC,
                                                                 "proofs": {"jwt": [proof]}}),
                               content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    with tenant_scope(lees_award.tenant):
        o = outcomes(start=date.today() - timedelta(days=1), end=date.today() + timedelta(days=1))
    assert o.totals["wallet"] == 1
