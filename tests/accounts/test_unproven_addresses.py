"""An address nobody has proven grants nothing: Charlie (an outsider with an account of his own) types
Dana's address into his account and never proves it. Dana then signs up, asks for a sign-in code or
resets a password, and Charlie gains nothing: no code or reset link for his account reaches Dana's
inbox, Dana's sign-up is never blocked, and once Dana proves the address Charlie's copy is gone."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.support import PASSWORD, address_add_unverified, link_in, login_code_in, make_user, signed_in_user_id

# Their emails go through the outbox, sent at the end of each request here (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("emails_sent_per_request")

DANA = "dana@college-a.example"
DANA_PASSWORD = "dana-owns-this-inbox-7"


@pytest.fixture
def outsider_typed_in_danas_address(client, charlie):
    client.force_login(charlie)
    address_add_unverified(client, DANA)
    client.logout()
    mail.outbox.clear()  # the confirmation went to Dana's inbox; Charlie cannot open it
    return charlie


def mail_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def sign_up(client, email: str, password: str):
    return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})


def confirm_from_inbox(client, email: str):
    (message,) = mail_to(email)
    link = link_in(message)
    assert "/accounts/confirm-email/" in link, message.body
    return client.post(link)


def test_no_sign_in_code_for_the_outsiders_account_reaches_the_address(client, outsider_typed_in_danas_address):
    response = client.post(reverse("account_request_login_code"), {"email": DANA})
    assert response.status_code == 302  # the page looks the same either way: nothing to enumerate
    (message,) = mail_to(DANA)
    assert login_code_in(message) is None
    assert reverse("account_signup") in message.body  # told to sign up instead
    assert signed_in_user_id(client) is None


def test_no_password_reset_for_the_outsiders_account_reaches_the_address(client, outsider_typed_in_danas_address):
    client.post(reverse("account_reset_password"), {"email": DANA})
    (message,) = mail_to(DANA)
    assert "/accounts/password/reset/key/" not in message.body
    assert reverse("account_signup") in message.body


def test_the_owner_signs_up_and_proving_the_address_removes_the_outsiders_copy(client,
                                                                               outsider_typed_in_danas_address):
    charlie = outsider_typed_in_danas_address
    response = sign_up(client, DANA, DANA_PASSWORD)
    assert response.status_code == 302
    dana = get_user_model().objects.get(email=DANA)
    assert dana != charlie
    assert EmailAddress.objects.filter(user=charlie, email=DANA).exists()  # not yet: Dana has not proven it

    assert confirm_from_inbox(client, DANA).status_code == 302
    assert signed_in_user_id(client) == dana.pk
    assert EmailAddress.objects.get(user=dana, email=DANA).verified
    assert not EmailAddress.objects.filter(user=charlie, email=DANA).exists()


def test_after_the_owner_proves_it_a_sign_in_code_goes_to_the_owners_account(client,
                                                                              outsider_typed_in_danas_address):
    sign_up(client, DANA, DANA_PASSWORD)
    confirm_from_inbox(client, DANA)
    dana_id = signed_in_user_id(client)
    client.logout()
    mail.outbox.clear()

    client.post(reverse("account_request_login_code"), {"email": DANA})
    (message,) = mail_to(DANA)
    response = client.post(reverse("account_confirm_login_code"), {"code": login_code_in(message)})
    assert response.status_code == 302
    assert signed_in_user_id(client) == dana_id


def test_an_existing_account_proving_a_second_address_removes_the_outsiders_copy(client,
                                                                                 outsider_typed_in_danas_address,
                                                                                 alice):
    charlie = outsider_typed_in_danas_address
    client.force_login(alice)
    address_add_unverified(client, DANA)
    message = mail_to(DANA)[-1]
    client.post(link_in(message))
    assert EmailAddress.objects.get(user=alice, email=DANA).verified
    assert not EmailAddress.objects.filter(user=charlie, email=DANA).exists()


def test_an_outsiders_unfinished_sign_up_with_the_address_never_blocks_the_owner(client, db):
    outsider_password = "charlie-knows-this-one-3"
    sign_up(client, DANA, outsider_password)  # Charlie signs up as Dana and never confirms
    mail.outbox.clear()

    owner = client.__class__()
    owner.post(reverse("account_request_login_code"), {"email": DANA})
    assert login_code_in(mail_to(DANA)[-1]) is None  # the unfinished account is nobody's yet
    mail.outbox.clear()

    assert sign_up(owner, DANA, DANA_PASSWORD).status_code == 302
    assert confirm_from_inbox(owner, DANA).status_code == 302
    (dana,) = get_user_model().objects.filter(email__iexact=DANA)
    assert signed_in_user_id(owner) == dana.pk
    assert dana.check_password(DANA_PASSWORD)
    assert not dana.check_password(outsider_password)  # Charlie's password opens nothing


def test_a_sign_up_at_an_address_someone_proved_creates_no_second_account(client, db):
    owner = make_user(DANA)
    response = sign_up(client, DANA, "someone-else-tries-9")
    assert response.status_code == 302  # looks like any sign-up: nothing to enumerate
    assert list(get_user_model().objects.filter(email__iexact=DANA)) == [owner]
    (message,) = mail_to(DANA)
    assert "/accounts/confirm-email/" not in message.body  # the owner is told, nothing to confirm
    assert signed_in_user_id(client) is None


def test_a_password_never_signs_in_through_an_address_the_account_only_typed_in(client,
                                                                                outsider_typed_in_danas_address):
    response = client.post(reverse("account_login"), {"login": DANA, "password": PASSWORD})
    assert response.status_code == 200  # refused like any wrong login
    assert signed_in_user_id(client) is None
    assert client.post(reverse("account_login"), {"login": "charlie@college-b.example", "password": PASSWORD}
                       ).status_code == 302  # his own address still works


def test_a_strangers_later_sign_up_confirmed_by_the_owner_leaves_the_stranger_nothing(client, db):
    sign_up(client, DANA, DANA_PASSWORD)  # Dana signs up and has not confirmed yet
    mail.outbox.clear()
    stranger, stranger_password = client.__class__(), "charlie-signs-up-later-5"
    assert sign_up(stranger, DANA, stranger_password).status_code == 302  # overwrites the pending sign-up
    # Dana opens the newest email in her own browser and confirms: it is the stranger's pending account.
    assert confirm_from_inbox(client, DANA).status_code == 302
    (account,) = get_user_model().objects.filter(email__iexact=DANA)
    assert EmailAddress.objects.get(user=account, email=DANA).verified
    assert not account.check_password(stranger_password)  # the stranger's password opens nothing
    stranger.post(reverse("account_login"), {"login": DANA, "password": stranger_password})
    assert signed_in_user_id(stranger) is None
    assert signed_in_user_id(client) is None  # the owner signs in with a code sent to her inbox
    mail.outbox.clear()
    client.post(reverse("account_request_login_code"), {"email": DANA})
    assert login_code_in(mail_to(DANA)[-1]) is not None


def test_a_sign_up_confirmed_in_the_same_browser_keeps_its_password(client, db):
    sign_up(client, DANA, DANA_PASSWORD)
    assert confirm_from_inbox(client, DANA).status_code == 302
    (dana,) = get_user_model().objects.filter(email__iexact=DANA)
    assert dana.check_password(DANA_PASSWORD)
    assert signed_in_user_id(client) == dana.pk
