"""allauth's forms with one change: an email address finds an account only if that account proved it.

allauth looks people up by any address row, verified or not, so an outsider who typed someone else's
address into their own account received that person's sign-in codes and password resets and made
their sign-up "already exist". Here each lookup asks ``accounts.selectors.user_by_verified_email``.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings
from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.core import context, ratelimit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db import transaction
from django.http import HttpRequest

from accounts import selectors, services
from accounts.adapter import SIGNED_UP_HERE


def _owners(email: str) -> list[Any]:
    owner = selectors.user_by_verified_email(email=email)
    return [owner] if owner is not None else []


class SignupForm(allauth_forms.SignupForm):
    def validate_unique_email(self, value: str) -> str:
        # "An account exists" only when someone proved the address (or an operator made the account):
        # allauth then mails that owner instead of creating a second account, without telling the visitor.
        self.account_already_exists = bool(
            _owners(value) or selectors.user_made_by_hand_for(email=value))
        return value

    def save(self, request: HttpRequest) -> Any:
        email = self.cleaned_data["email"]
        with transaction.atomic():
            services.email_address_release_unproven(email=email)
            user = super().save(request)
            services.user_email_address_ensure(user=user, email=email)
        request.session[SIGNED_UP_HERE] = user.pk  # only this browser's confirmation keeps the password
        return user


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def clean_email(self) -> str:
        email = get_adapter().clean_email(self.cleaned_data["email"].lower())
        self.users = _owners(email)
        if not self.users and not app_settings.PREVENT_ENUMERATION:
            raise get_adapter().validation_error("unknown_email")
        return self.cleaned_data["email"]


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    def clean_email(self) -> str:
        adapter = get_adapter()
        email = self.cleaned_data["email"]
        if email:
            users = _owners(email)
            if not users and not app_settings.PREVENT_ENUMERATION:
                raise adapter.validation_error("unknown_email")
            if not ratelimit.consume(context.request, action="request_login_code", key=email.lower()):
                raise adapter.validation_error("too_many_login_attempts")
            self._user = users[0] if users else None
        return email


class ProvenAddressSignupForm(forms.Form):
    """Sign-up for an address a link has already proven (a claim link, a staff invitation): the address is
    shown, not typed, and marked verified, so no confirmation email follows; the password rules apply."""

    name = forms.CharField(label="Your name (optional)", max_length=150, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(label="Choose a password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, email: str = "", name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["name"].initial = name  # the name the tutor typed when awarding it, if any
        # The rules up front, before the first try (the validators of AUTH_PASSWORD_VALIDATORS).
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            try:
                password_validation.validate_password(p1, get_user_model()(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
