"""Claiming an award from the email's link: one-step sign-up, once only, expiry, forwarded links, decline."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail, signing

from assertions import links
from assertions.services import assertion_revoke
from backpack.models import BackpackEntry
from issuers.scoping import tenant_scope
from tests.support import PASSWORD, emails_sent, make_user
from tests.support.learners import LEARNER, award, claim_path, confirm_link, last_mail_to

NEW_PASSWORD = "amber-kettle-snowfall-82"


def _refresh(assertion):
    with tenant_scope(assertion.tenant):
        assertion.refresh_from_db()
    return assertion


def test_new_learner_signs_up_in_one_step_and_the_badge_is_claimed(client, badge_a):
    a = award(badge_a, "new.learner@example.org", recipient_name="Nia Learner")
    page = client.get(claim_path(a))
    assert page.status_code == 200
    assert b"new.learner@example.org" in page.content
    assert b"Safe Scaffolding" in page.content
    response = client.post(claim_path(a), {"name": "Nia Learner", "password1": NEW_PASSWORD,
                                           "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new.learner@example.org")
    assert EmailAddress.objects.get(user=user).verified  # the signed link proved the address
    _refresh(a)
    assert a.claimed_by == user
    assert a.claimed_at is not None
    entry = BackpackEntry.objects.get(user=user, assertion=a)
    assert response.url == f"/backpack/badges/{entry.public_id}/"
    assert b"Safe Scaffolding" in client.get("/backpack/").content


def test_sign_up_with_mismatched_passwords_says_so_and_creates_nothing(client, badge_a):
    a = award(badge_a, "new.learner@example.org")
    response = client.post(claim_path(a), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert response.status_code == 400
    assert b"do not match" in response.content
    assert not get_user_model().objects.filter(email="new.learner@example.org").exists()


def test_opening_the_link_does_not_claim_so_mail_scanners_cannot(client, learner, badge_a):
    a = award(badge_a)
    client.force_login(learner)
    assert client.get(claim_path(a)).status_code == 200
    assert _refresh(a).claimed_at is None


def test_claim_link_works_once_then_shows_the_badge_to_its_owner(client, learner, other_learner, badge_a):
    a = award(badge_a)
    client.force_login(learner)
    first = client.post(claim_path(a), {"action": "claim"})
    assert first.status_code == 302
    claimed_at = _refresh(a).claimed_at
    again = client.get(claim_path(a))
    assert again.status_code == 302
    assert again.url == first.url
    assert _refresh(a).claimed_at == claimed_at
    client.force_login(other_learner)
    assert client.get(claim_path(a)).status_code == 409
    client.logout()
    assert b"already been claimed" in client.get(claim_path(a)).content


def test_an_expired_claim_link_is_refused(client, learner, badge_a, monkeypatch, settings):
    a = award(badge_a)
    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - (settings.CLAIM_LINK_MAX_AGE_DAYS + 1) * 86400)
    old_link = claim_path(a)
    monkeypatch.setattr(signing.time, "time", real)
    client.force_login(learner)
    response = client.get(old_link)
    assert response.status_code == 404  # an expired signature reads as no valid link at all
    assert b"does not work any more" in response.content
    assert client.post(old_link, {"action": "claim"}).status_code == 404
    assert _refresh(a).claimed_at is None


def test_a_tampered_or_replaced_link_is_refused(client, learner, badge_a):
    a = award(badge_a)
    client.force_login(learner)
    assert client.get(claim_path(a)[:-5] + "xxxx/").status_code == 404
    with tenant_scope(a.tenant):
        type(a).objects.filter(pk=a.pk).update(claim_nonce="a-newer-email")
    assert client.get(claim_path(_refresh(a))).status_code == 200  # the newest link works
    stale = signing.dumps([str(a.public_id), "the-old-nonce"], salt="assertions.claim", compress=True)
    assert client.get(f"/claim/{stale}/").status_code == 410


def test_a_second_award_to_an_address_in_the_backpack_is_claimed_with_one_click(client, learner, badge_a):
    award(badge_a)  # the first, already in the backpack
    second = award(badge_a, recipient_name="Lee Learner")
    page = client.get(claim_path(second))
    assert b"Add it to my backpack" in page.content
    assert _refresh(second).claimed_at is None  # opening the link never claims
    done = client.post(claim_path(second), {"action": "claim"})
    assert done.status_code == 200
    assert b"It is in your backpack" in done.content
    assert _refresh(second).claimed_by == learner
    assert BackpackEntry.objects.filter(user=learner, assertion=second).exists()


def test_the_claim_form_prefills_the_tutors_name_and_shows_the_password_rules_first(client, badge_a):
    a = award(badge_a, "nia@example.org", recipient_name="Nia Okafor")
    html = client.get(claim_path(a)).content.decode()
    assert 'value="Nia Okafor"' in html
    assert "at least 10 characters" in html  # before the first try, not after a refusal


def test_an_existing_account_may_log_in_and_then_claims(client, learner, badge_a):
    a = award(badge_a)
    page = client.get(claim_path(a))
    assert b"log in</a> first" in page.content
    assert not get_user_model().objects.filter(email=LEARNER).exclude(pk=learner.pk).exists()
    # A sign-up POST for an address that has an account does not create a second one.
    client.post(claim_path(a), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert get_user_model().objects.filter(email__iexact=LEARNER).count() == 1
    client.post("/accounts/login/", {"login": LEARNER, "password": PASSWORD})
    assert client.post(claim_path(a), {"action": "claim"}).status_code == 302
    assert _refresh(a).claimed_by == learner


def test_a_forwarded_link_asks_the_stranger_to_prove_the_address_first(client, other_learner, badge_a,
                                                                      django_capture_on_commit_callbacks):
    a = award(badge_a, "sam@college.example")
    client.force_login(other_learner)
    page = client.get(claim_path(a))
    assert b"Prove this address is yours" in page.content
    assert b"Claim this badge" not in page.content
    refused = client.post(claim_path(a), {"action": "claim"}, follow=True)
    assert b"Verify the address sam@college.example" in refused.content
    assert _refresh(a).claimed_at is None
    # allauth's own add-email flow sends a confirmation link to the award's address.
    mail.outbox.clear()
    with emails_sent(django_capture_on_commit_callbacks):
        client.post(claim_path(a), {"action": "add_email"})
    address = EmailAddress.objects.get(user=other_learner, email="sam@college.example")
    assert not address.verified
    client.post(confirm_link(last_mail_to("sam@college.example")))
    address.refresh_from_db()
    assert address.verified
    assert client.post(claim_path(a), {"action": "claim"}).status_code == 302
    assert _refresh(a).claimed_by == other_learner


def test_a_learner_can_decline_a_badge_from_the_link(client, learner, badge_a):
    a = award(badge_a)
    client.force_login(learner)
    client.post(claim_path(a), {"action": "decline"})
    entry = BackpackEntry.objects.get(user=learner, assertion=a)
    assert entry.declined_at is not None
    assert _refresh(a).claimed_at is None  # declining is not claiming: the college sees it unclaimed
    page = client.get("/backpack/")
    assert page.context["items"] == []  # not in the grid; listed under "Declined badges" to restore
    assert [i.name for i in page.context["declined"]] == ["Safe Scaffolding"]
    client.logout()
    assert client.get(f"/s/{a.public_id}/").status_code == 404
    # Declining never breaks verification.
    assert client.get(f"/public/assertions/{a.public_id}", HTTP_ACCEPT="application/ld+json").status_code == 200


def test_a_stranger_cannot_decline_someone_elses_badge(client, other_learner, badge_a):
    a = award(badge_a)
    client.force_login(other_learner)
    client.post(claim_path(a), {"action": "decline"})
    assert not BackpackEntry.objects.filter(assertion=a).exists()


def test_a_revoked_badge_cannot_be_claimed(client, learner, badge_a):
    a = award(badge_a)
    with tenant_scope(a.tenant):
        assertion_revoke(assertion=a, reason="Issued in error")
    client.force_login(learner)
    response = client.post(claim_path(a), {"action": "claim"}, follow=True)
    assert b"revoked" in response.content
    assert _refresh(a).claimed_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_garbage_claim_tokens_get_a_page_not_a_500(client, method):
    for token in ["x", "a" * 500, "..%2F..", links.claim_token_read.__name__]:
        assert getattr(client, method)(f"/claim/{token}/").status_code == 404


def test_two_accounts_cannot_both_claim(client, learner, badge_a):
    a = award(badge_a)
    twin = make_user("twin@learner.example")
    EmailAddress.objects.create(user=twin, email="LEE@learner.example", verified=True)
    client.force_login(learner)
    client.post(claim_path(a), {"action": "claim"})
    client.force_login(twin)
    assert client.post(claim_path(a), {"action": "claim"}).status_code == 409
    assert _refresh(a).claimed_by == learner
