"""Staff invitations go to whoever proves the invited address, never to an outsider who only typed it in.

Alice (admin of College A) invites Dana. Charlie, an outsider, has put Dana's address into his own
account without proving it (or started a sign-up with it and never confirmed). Dana signs up, signs in
and accepts: the membership is Dana's, and Charlie gains nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from issuers.models import Membership, Role
from issuers.scoping import tenant_scope
from issuers.services import invitation_create, tenant_create
from tests.support import address_add_unverified, link_in, login_code_in, signed_in_user_id

# Their emails go through the outbox, sent at the end of each request here (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("emails_sent_per_request")

DANA = "dana@college-a.example"
DANA_PASSWORD = "dana-owns-this-inbox-7"


@pytest.fixture
def invitation_link(tenant_a, alice):
    with tenant_scope(tenant_a):
        _, url = invitation_create(tenant=tenant_a, email=DANA, role=Role.ISSUER, actor=alice)
    return urlsplit(url).path


def members(tenant) -> set:
    with tenant_scope(tenant):
        return {m.user.email for m in Membership.objects.select_related("user")}


def test_the_owner_accepts_the_invitation_and_the_outsider_who_typed_in_the_address_gains_nothing(
        client, tenant_a, charlie, invitation_link):
    client.force_login(charlie)
    address_add_unverified(client, DANA)
    assert client.post(invitation_link).status_code == 200  # refused: Charlie has not proven the address
    client.logout()
    mail.outbox.clear()

    # Dana asks for a sign-in code first: none for Charlie's account reaches her.
    client.post(reverse("account_request_login_code"), {"email": DANA})
    assert login_code_in(mail.outbox[-1]) is None
    mail.outbox.clear()

    # Dana signs up (not blocked by Charlie's copy), proves the address, accepts.
    client.post(reverse("account_signup"), {"email": DANA, "password1": DANA_PASSWORD, "password2": DANA_PASSWORD})
    client.post(link_in(mail.outbox[-1]))
    dana = get_user_model().objects.get(email=DANA)
    assert signed_in_user_id(client) == dana.pk
    response = client.post(invitation_link)
    assert response.status_code == 302
    assert response["Location"] == reverse("issuers:dashboard", args=[tenant_a.slug])

    assert DANA in members(tenant_a)
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=charlie).exists()
    assert not EmailAddress.objects.filter(user=charlie, email=DANA).exists()


def test_the_outsider_cannot_accept_with_an_address_he_has_only_typed_in(client, tenant_a, charlie,
                                                                         invitation_link):
    client.force_login(charlie)
    address_add_unverified(client, DANA)
    page = client.post(invitation_link)
    assert page.status_code == 200
    assert b"verify it" in page.content
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=charlie).exists()


def test_an_unfinished_sign_up_with_the_admins_address_does_not_make_a_college_admin(client, db):
    client.post(reverse("account_signup"), {"email": DANA, "password1": "charlie-knows-this-3",
                                            "password2": "charlie-knows-this-3"})  # never confirmed
    setup = tenant_create(slug="college-d", name="College D", admin_email=DANA)
    assert setup.admin is None
    assert setup.invitation_url  # the real owner is invited, to accept once she proves the address
    assert members(setup.tenant) == set()


def test_a_college_created_with_a_password_for_an_address_held_unproven_goes_to_a_fresh_account(client, db):
    client.post(reverse("account_signup"), {"email": DANA, "password1": "charlie-knows-this-3",
                                            "password2": "charlie-knows-this-3"})  # never confirmed
    setup = tenant_create(slug="college-d", name="College D", admin_email=DANA, admin_password=DANA_PASSWORD)
    (dana,) = get_user_model().objects.filter(email__iexact=DANA)
    assert setup.admin == dana
    assert dana.check_password(DANA_PASSWORD)
    assert not dana.check_password("charlie-knows-this-3")
    assert members(setup.tenant) == {DANA}
