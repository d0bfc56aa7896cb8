"""allauth's authentication backend, with email lookups by proven addresses only."""

from __future__ import annotations

from allauth.account import app_settings
from allauth.account.app_settings import LoginMethod
from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from accounts import selectors

# What ``login()`` names for an account a view has just made (a claim or invitation sign-up).
AUTH_BACKEND = "accounts.backends.AuthenticationBackend"


class AuthenticationBackend(AllauthBackend):
    def _authenticate_by_email(self, email: str, password: str) -> AbstractBaseUser | None:
        """A password signs in by email to the account that proved the address, or else to the account
        whose own login address it is (not yet proven: allauth then asks for the verification); never
        through an address someone merely typed in as an extra one."""
        if not email or LoginMethod.EMAIL not in app_settings.LOGIN_METHODS:
            return None
        owner = selectors.user_by_verified_email(email=email)
        users = [owner] if owner is not None else list(get_user_model().objects.filter(email__iexact=email))
        for user in users:
            if self._check_password(user, password):
                return user
        return None
