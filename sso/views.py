"""The login page's domain discovery, and the college admin's single sign-on page under Settings."""

from __future__ import annotations

from allauth.account.utils import get_next_redirect_url
from allauth.account.views import LoginView
from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from issuers.http import StaffRequest
from issuers.permissions import admin_only
from sso import selectors, services
from sso.forms import OidcForm, PolicyForm, SamlForm
from sso.models import Protocol, SingleSignOn

allauth_login = LoginView.as_view()


def provider_start(request: HttpRequest, config: SingleSignOn) -> HttpResponse:
    """Send the browser on to the college's identity provider (allauth keeps the state in the session). A page
    that moves on by itself, not a redirect: the login form may post only to us (Content-Security-Policy
    form-action), which Chromium applies to every redirect that follows the post too."""
    adapter = get_adapter()
    if config.protocol == Protocol.SAML:
        provider = adapter.get_provider(request, "saml", client_id=config.key)
    else:
        provider = adapter.get_provider(request, config.key)
    answer = provider.redirect(request, process="login", next_url=get_next_redirect_url(request))
    if answer.status_code not in {301, 302, 303, 307, 308}:
        return answer
    return render(request, "sso/redirecting.html", {"url": answer["Location"], "college": config.tenant.name})


def login(request: HttpRequest) -> HttpResponse:
    """allauth's login page, with domain discovery: an address of a college with single sign-on and no password
    goes to that college's identity provider."""
    if request.method == "POST" and not request.POST.get("password"):
        config = selectors.config_for_email(str(request.POST.get("login", "")))
        if config is not None and config.tenant.is_active:
            return provider_start(request, config)
    return allauth_login(request)


def saml_finish(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's end of a SAML sign-in, where a response that no sign-in in this browser is waiting for (one
    replayed, or started elsewhere) gets a page saying so instead of a bare 403."""
    from allauth.socialaccount.providers.saml.views import finish_acs  # not at import: see badgeplatform.allauth_urls

    try:
        return finish_acs(request, organization_slug=organization_slug)
    except PermissionDenied:
        return render(request, "sso/refused.html", {"message": (
            "This sign-in answer was already used, or was not asked for by this browser. Start again from the "
            "login page.")}, status=403)


def _policy_initial(config: SingleSignOn | None, tenant_domains: list[str]) -> dict[str, object]:
    if config is None:
        return {"group_claim": "groups"}
    return {"domains": " ".join(tenant_domains), "require_sso": config.require_sso,
            "create_members": config.create_members, "default_role": config.default_role,
            "group_claim": config.group_claim,
            "group_roles": "\n".join(f"{group} = {role}" for group, role in config.group_roles)}


@admin_only
def settings_page(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    config = selectors.config_of(tenant)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    oidc = OidcForm(request.POST if which == "oidc" else None, prefix="oidc", initial={
        "issuer_url": config.oidc_issuer, "client_id": config.oidc_client_id} if config else None)
    saml = SamlForm(request.POST if which == "saml" else None, prefix="saml", initial={
        "metadata_url": config.saml_metadata_url} if config else None)
    policy = PolicyForm(request.POST if which == "policy" else None, prefix="policy",
                        initial=_policy_initial(config, selectors.domains_of(tenant)))
    if which == "remove":
        services.sso_remove(tenant=tenant, actor=request.user)
        messages.success(request, "Single sign-on disconnected: your staff sign in with passwords or codes again.")
        return redirect("sso:settings", tenant_slug=tenant_slug)
    bound = {"oidc": oidc, "saml": saml, "policy": policy}.get(which)
    if bound is not None and bound.is_valid():
        try:
            if which == "oidc":
                services.sso_configure_oidc(tenant=tenant, actor=request.user, **oidc.cleaned_data)
                messages.success(request, "OpenID Connect provider connected. Now say which email domains it signs in.")
            elif which == "saml":
                services.sso_configure_saml(tenant=tenant, actor=request.user, **saml.cleaned_data)
                messages.success(request, "SAML identity provider connected. Now say which email domains it signs in.")
            else:
                services.sso_policy_update(tenant=tenant, actor=request.user, **policy.cleaned_data)
                messages.success(request, "Single sign-on rules saved.")
        except ValidationError as exc:
            bound.add_error(None, exc)
        else:
            return redirect("sso:settings", tenant_slug=tenant_slug)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    urls = {}
    if config is not None:
        if config.protocol == Protocol.OIDC:
            urls["redirect"] = base + reverse("openid_connect_callback", kwargs={"provider_id": config.key})
        else:
            urls["entity"] = base + reverse("saml_metadata", args=[config.key])
            urls["acs"] = base + reverse("saml_acs", args=[config.key])
    return render(request, "sso/settings.html", {
        "config": config, "claims": selectors.domain_claims_of(tenant),
        "oidc": oidc, "saml": saml, "policy": policy, "urls": urls, "open": which or (
            config.protocol if config else "oidc")})
