"""Who owns an email address: only an account that proved it (a verified allauth ``EmailAddress``).

An address someone merely typed into their account proves nothing: it never finds an account for a
sign-in code or a password reset, never makes a sign-up "already exist", and never passes for the
recipient of an invitation or a badge. Every such question is asked here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress

if TYPE_CHECKING:
    from accounts.models import User


def user_by_verified_email(*, email: str) -> User | None:
    """The active account that proved it owns ``email``, or None (there is at most one: allauth's
    ``unique_verified_email`` constraint)."""
    address = (EmailAddress.objects.filter(email__iexact=email.strip(), verified=True, user__is_active=True)
               .select_related("user").first())
    return address.user if address else None


def user_has_verified_email(*, user: User, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email.strip(), verified=True).exists()


def user_verified_emails(*, user: User) -> set[str]:
    """The user's proven addresses, lower-cased."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {e.lower() for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}


def user_made_by_hand_for(*, email: str) -> User | None:
    """An account an operator made for ``email`` (``createsuperuser``, the admin: no sign-up, so no address
    rows, or staff): it holds the address by an operator's decision, so a sign-up never takes it over."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (get_user_model().objects.filter(email__iexact=email.strip())
            .filter(Q(is_staff=True) | Q(is_superuser=True) | Q(emailaddress__isnull=True)).first())
