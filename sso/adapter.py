"""allauth's social-account adapter, per college: each college's identity provider is an allauth app built
from its ``SingleSignOn`` row for the request (allauth's ``list_apps`` hook), with its secret decrypted only
then; allauth runs OpenID Connect and SAML, and this adapter decides who that lets in.

- The provider vouches only for addresses in its own college's domains (``verified_email``); any other
  address is refused before anyone is signed in, so one college's provider never signs in another's staff.
- An account with that proven address is signed in (allauth's email authentication); a new one is made only
  when the college creates memberships on first sign-in.
- After the provider has vouched, ``sso.services.sso_signed_in`` sets the membership from the groups.
- Outbound requests (discovery, keys, tokens) are checked as the verifier's are (``SafeSession``).
"""

from __future__ import annotations

from typing import Any

import requests
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from accounts.services import email_address_proven
from issuers.context import tenant_context
from sso import selectors, services
from sso.models import Protocol, SingleSignOn
from verification.fetch import FetchError, destination_check

PROVIDERS = {"openid_connect": Protocol.OIDC, "saml": Protocol.SAML}


class SafeSession(requests.Session):
    """allauth's HTTP session for identity providers: every URL is checked by the verifier's rules (no
    private or metadata addresses unless ``VERIFY_ALLOW_PRIVATE_ADDRESSES``), with a timeout."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        target = url.decode() if isinstance(url, bytes) else url
        try:
            destination_check(target, allow_private=settings.VERIFY_ALLOW_PRIVATE_ADDRESSES,
                              seconds=settings.VERIFY_FETCH_SECONDS)
        except FetchError as exc:
            raise requests.ConnectionError(f"Identity provider address refused: {exc}") from exc
        kwargs.setdefault("timeout", settings.VERIFY_FETCH_SECONDS)
        kwargs["allow_redirects"] = False
        verb = method.decode() if isinstance(method, bytes) else method
        return super().request(verb, target, *args, **kwargs)


def social_app(config: SingleSignOn, domains: list[str]) -> SocialApp:
    """The allauth app of one college's provider (unsaved: it lives for this request)."""
    common = {"verified_email": domains, "email_authentication": True}
    if config.protocol == Protocol.OIDC:
        return SocialApp(provider="openid_connect", provider_id=config.key, name=config.tenant.name,
                         client_id=config.oidc_client_id, secret=services.oidc_secret(config),
                         settings={**common, "server_url": config.oidc_issuer, "fetch_userinfo": True,
                                   "oauth_pkce_enabled": True, "scope": ["openid", "email", "profile"]})
    _, idp = services.saml_metadata_load(xml=config.saml_metadata_xml)
    return SocialApp(provider="saml", provider_id=config.key, name=config.tenant.name, client_id=config.key,
                     settings={**common, "idp": idp, "attribute_mapping": {
                         "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id", "uid"],
                         "email": ["urn:oid:0.9.2342.19200300.100.1.3", "mail", "email",
                                   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"],
                         "first_name": ["urn:oid:2.5.4.42", "givenName",
                                        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"],
                         "last_name": ["urn:oid:2.5.4.4", "sn", "surname",
                                       "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"]},
                               "use_nameid_for_email": False,
                               "advanced": {"private_key": services.sp_private_key(config),
                                            "x509cert": config.saml_sp_certificate, "authn_request_signed": True,
                                            "want_assertion_signed": True, "want_message_signed": False,
                                            "reject_idp_initiated_sso": True, "strict": True}})


def _refuse(request: HttpRequest, message: str, status: int = 403) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(render(request, "sso/refused.html", {"message": message}, status=status))


def _config_of(sociallogin: SocialLogin) -> SingleSignOn:
    app = sociallogin.provider.app
    config = selectors.config_by_key(app.provider_id if app is not None else "")
    if config is None:
        raise ValueError("A social login from no college's identity provider")
    return config


def _email_of(sociallogin: SocialLogin) -> str:
    email = (sociallogin.user.email or "").strip().lower()
    if not email and sociallogin.email_addresses:
        email = sociallogin.email_addresses[0].email.strip().lower()
    return email


class CollegeSocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest | None, provider: str | None = None,
                  client_id: str | None = None) -> list[SocialApp]:
        protocol = PROVIDERS.get(provider or "")
        key = provider if provider and protocol is None else (client_id if protocol == Protocol.SAML else None)
        if provider and protocol is None:  # allauth asks by provider id: the college's key
            found = selectors.configs(key=key)
        else:
            found = selectors.configs(protocol=protocol, key=key)
        if client_id and protocol != Protocol.SAML:
            found = [c for c in found if c.oidc_client_id == client_id]
        domains = selectors.domains_by_tenant([c.tenant_id for c in found])
        return [social_app(c, domains.get(c.tenant_id, [])) for c in found]

    def list_providers(self, request: HttpRequest) -> list[Any]:
        return []  # colleges' providers are found from an address (domain discovery), never listed to all

    def get_requests_session(self) -> requests.Session:
        return SafeSession()

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return _config_of(sociallogin).create_members

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        config = _config_of(sociallogin)
        email = _email_of(sociallogin)
        if not email:
            raise _refuse(request, f"{config.tenant.name}'s sign-in did not tell us your email address, so we "
                                   "cannot find your account. Ask your IT team to release the email claim.")
        if selectors.domain_of(email) not in selectors.domains_of_config(config):
            raise _refuse(request, f"{email} is not an address of {config.tenant.name}: its sign-in only lets in "
                                   "its own staff. Sign in with your own college's account, or with a password.")
        if sociallogin.is_existing:
            self._signed_in(config, sociallogin)
        elif not config.create_members:
            raise _refuse(request, f"You have no account here yet. Ask an admin of {config.tenant.name} to invite "
                                   f"you; after that you can sign in with your {config.tenant.name} account.")

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        for address in EmailAddress.objects.filter(user=user, verified=True):
            email_address_proven(email_address=address)
        self._signed_in(_config_of(sociallogin), sociallogin)
        return user

    def _signed_in(self, config: SingleSignOn, sociallogin: SocialLogin) -> None:
        groups = selectors.groups_in(config, sociallogin.account.extra_data)
        with tenant_context(config.tenant, sociallogin.user):
            services.sso_signed_in(config=config, user=sociallogin.user, groups=groups)
