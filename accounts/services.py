"""Writes about who owns an email address.

An address counts only once an account has proven it (see ``accounts.selectors``). Two moments
settle a contested address:

- a sign-up (or a claim link's one-step account) takes it from anyone who has not proven it
  (``email_address_release_unproven``): an outsider's unverified copy never blocks the real owner;
- the moment someone proves it (``email_address_proven``, called for every allauth verification),
  every other account's unverified copy is removed, so it can never be verified, used to sign in
  or shown as that account's, later.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import selectors
from accounts.models import User

logger = logging.getLogger(__name__)


def _login_address_move_off(*, email: str, keep: User | None) -> None:
    """No account but ``keep`` may keep ``email`` as its login (``User.email``, unique) without having
    proven it: an account with a proven address logs in with that one instead; an account that never
    proved any address could never sign in (verification is mandatory), so it holds nothing and is
    deleted."""
    holders = get_user_model().objects.filter(email__iexact=email)
    if keep is not None:
        holders = holders.exclude(pk=keep.pk)
    by_hand = selectors.user_made_by_hand_for(email=email)
    for holder in holders:
        if holder == by_hand or EmailAddress.objects.filter(user=holder, email__iexact=email, verified=True).exists():
            continue  # an operator's account, or proven: not ours to take (callers check this first)
        proven = EmailAddress.objects.filter(user=holder, verified=True).order_by("-primary", "pk").first()
        if proven is not None:
            EmailAddress.objects.filter(user=holder, primary=True).exclude(pk=proven.pk).update(primary=False)
            EmailAddress.objects.filter(pk=proven.pk).update(primary=True)
            holder.email = proven.email
            holder.save(update_fields=["email"])
            logger.info("Account %s now logs in with %s: it never proved %s", holder.pk, proven.email, email)
        else:
            logger.info("Account %s never proved an address; %s is taken by a new owner", holder.pk, email)
            holder.delete()


@transaction.atomic
def email_address_release_unproven(*, email: str) -> None:
    """Before an account is created for ``email`` by someone who has not proven it yet (a sign-up):
    an account that holds it unproven as its login gives it up. Others' unverified copies as an extra
    address stay until the address is proven (they may be the real owner's pending request)."""
    _login_address_move_off(email=email, keep=None)


@transaction.atomic
def email_address_proven(*, email_address: EmailAddress) -> None:
    """``email_address`` has just been verified: nobody else may keep an unproven copy of it."""
    email = email_address.email
    others = EmailAddress.objects.filter(email__iexact=email, verified=False).exclude(user_id=email_address.user_id)
    removed = others.delete()[0]
    if removed:
        logger.info("%s proven by account %s: %d unverified copies elsewhere removed", email,
                    email_address.user_id, removed)
    _login_address_move_off(email=email, keep=email_address.user)


def user_password_forget_unproven(*, user: User) -> bool:
    """Forget a password set before the account proved any address (``AccountAdapter.confirm_email``).
    True when there was one."""
    if not user.has_usable_password():
        return False
    user.set_unusable_password()
    user.save(update_fields=["password"])
    logger.info("Account %s: password set at sign-up forgotten, its address was confirmed elsewhere", user.pk)
    return True


@transaction.atomic
def user_email_address_ensure(*, user: User, email: str) -> EmailAddress:
    """The account's own (unverified) row for its sign-up address. allauth skips creating it when another
    account holds an unverified copy, which would leave the new owner nothing to verify."""
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=email.lower(),
        defaults={"primary": not EmailAddress.objects.filter(user=user, primary=True).exists()})
    return address


@transaction.atomic
def user_mark_email_verified(user: Any, email: str | None = None) -> EmailAddress:
    """Record that ``user`` proved ``email`` (default: their login address) by other means than allauth's
    flows: a claim link mailed to it, an operator creating the account."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=(email or user.email).lower(),
        defaults={"verified": True, "primary": email is None or email.lower() == user.email.lower()})
    email_address_proven(email_address=address)
    return address


@transaction.atomic
def user_create_verified(*, email: str, password: str | None, name: str = "") -> User:
    """An account for an address its maker has proven (a claim link) or vouches for (an operator)."""
    email = email.strip().lower()
    email_address_release_unproven(email=email)
    user = get_user_model().objects.create_user(email, password, name=name.strip()[:150])
    user_mark_email_verified(user)
    return user
