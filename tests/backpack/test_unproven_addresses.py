"""A badge goes to whoever proves its address, never to an outsider who only typed the address in.

Lee is awarded a badge at an address he has no account for yet. Charlie, an outsider, puts that
address into his own account without proving it (the claim page offers exactly that). Lee opens the
claim link, signs up and claims, or signs in by code: the badge is Lee's and Charlie gains nothing."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from backpack.models import BackpackEntry
from backpack.selectors import backpack_items
from issuers.scoping import tenant_scope
from tests.support import address_add_unverified, login_code_in, signed_in_user_id
from tests.support.learners import award, claim_path

# Their emails go through the outbox, sent at the end of each request here (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("emails_sent_per_request")

LEE = "lee.new@learner.example"
LEE_PASSWORD = "lee-owns-this-inbox-5"


def _charlie_types_in_lees_address_from_the_claim_page(client, charlie, assertion) -> None:
    client.force_login(charlie)
    client.post(claim_path(assertion), {"action": "add_email"})
    assert EmailAddress.objects.filter(user=charlie, email=LEE, verified=False).exists()
    refused = client.post(claim_path(assertion), {"action": "claim"}, follow=True)
    assert b"Verify the address" in refused.content
    client.logout()
    mail.outbox.clear()


def test_the_owner_signs_up_from_the_claim_link_and_the_outsider_gains_nothing(client, charlie, badge_a):
    a = award(badge_a, LEE)
    _charlie_types_in_lees_address_from_the_claim_page(client, charlie, a)

    page = client.get(claim_path(a))
    assert b"Log in to claim" not in page.content  # Charlie's copy is not "an account exists"
    response = client.post(claim_path(a), {"name": "Lee", "password1": LEE_PASSWORD, "password2": LEE_PASSWORD})
    assert response.status_code == 302
    lee = get_user_model().objects.get(email=LEE)
    assert signed_in_user_id(client) == lee.pk
    with tenant_scope(a.tenant):
        a.refresh_from_db()
    assert a.claimed_by == lee
    assert not BackpackEntry.objects.filter(user=charlie).exists()
    assert [i for i in backpack_items(charlie) if i.name == badge_a.name] == []
    assert not EmailAddress.objects.filter(user=charlie, email=LEE).exists()  # his copy is gone


def test_no_sign_in_code_for_the_outsiders_account_reaches_the_learner(client, charlie, badge_a):
    a = award(badge_a, LEE)
    _charlie_types_in_lees_address_from_the_claim_page(client, charlie, a)
    client.post(reverse("account_request_login_code"), {"email": LEE})
    (message,) = [m for m in mail.outbox if LEE in m.to]
    assert login_code_in(message) is None
    assert signed_in_user_id(client) is None


def test_the_outsiders_backpack_never_shows_a_badge_for_an_address_he_only_typed_in(client, charlie, badge_a):
    client.force_login(charlie)
    address_add_unverified(client, LEE)
    award(badge_a, LEE)
    assert badge_a.name.encode() not in client.get(reverse("backpack:home")).content
