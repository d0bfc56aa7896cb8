"""The login forms that know about single sign-on, and the college admin's settings forms."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from django import forms

from accounts.forms import RequestLoginCodeForm as AccountsRequestLoginCodeForm
from issuers.models import Role
from sso import selectors
from sso.models import Protocol


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form, whose password may be left empty: the login view then sends an address of a
    college with single sign-on to its provider. A password for staff of a college that requires single
    sign-on is refused, with the reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].required = False
        self.fields["password"].help_text = ("Staff of a college with single sign-on: leave it empty to sign in "
                                             "with your college account.")

    def clean(self) -> dict[str, Any]:
        login = str(self.data.get("login", "") or "")
        refusal = selectors.password_refusal(login)
        if refusal:
            raise forms.ValidationError(refusal)
        if not self.data.get("password"):
            raise forms.ValidationError("Enter your password, or choose \"Email me a sign-in code\".")
        return super().clean()


class RequestLoginCodeForm(AccountsRequestLoginCodeForm):
    def clean_email(self) -> str:
        email = super().clean_email()
        refusal = selectors.password_refusal(email)
        if refusal:
            raise forms.ValidationError(refusal.replace("not with a password here", "not with a code by email"))
        return email


class OidcForm(forms.Form):
    issuer_url = forms.CharField(label="Issuer URL", max_length=500, help_text=(
        "Microsoft Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0 · Google Workspace: "
        "https://accounts.google.com"))
    client_id = forms.CharField(label="Client id", max_length=200, help_text="Entra ID calls it the Application "
                                "(client) ID.")
    client_secret = forms.CharField(label="Client secret", max_length=500, required=False,
                                    widget=forms.PasswordInput(render_value=False),
                                    help_text="Needed the first time. Stored encrypted and never shown again; "
                                              "later, leave it empty to keep the stored one.")


class SamlForm(forms.Form):
    metadata_url = forms.CharField(label="Metadata URL", max_length=500, required=False,
                                   help_text="The identity provider's federation metadata address.")
    metadata_xml = forms.CharField(label="Or its metadata XML", required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}))


class PolicyForm(forms.Form):
    domains = forms.CharField(label="Email domains your college owns", max_length=2000, required=False,
                              help_text="Staff addresses only, separated by spaces or commas, e.g. college.ac.uk. "
                                        "Addresses there are sent to your identity provider from the login page.")
    require_sso = forms.BooleanField(label="Require single sign-on for our staff", required=False,
                                     help_text="Staff in those domains cannot sign in with a password or an emailed "
                                               "code. Learners are unaffected.")
    create_members = forms.BooleanField(label="Create memberships on first sign-in", required=False,
                                        help_text="Someone your provider signs in for the first time joins the "
                                                  "college with the role below (or their group's role).")
    default_role = forms.ChoiceField(label="Default role", required=False,
                                     choices=[("", "None: only people in a mapped group"), *Role.choices])
    group_claim = forms.CharField(label="Group claim or attribute", max_length=200, initial="groups",
                                  help_text="Entra ID: groups (its values are group object ids). SAML: the "
                                            "attribute name, e.g. memberOf.")
    group_roles = forms.CharField(label="Groups and their roles", required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="One per line: group = role (admin, issuer or viewer). Leaving a "
                                            "group takes its role away at the next sign-in.")


PROTOCOL_CHOICES = Protocol.choices
