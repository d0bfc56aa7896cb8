"""Pages and the registration endpoint of the Open Badges 3.0 API: RFC 7591 registration (a small view
in front of django-oauth-toolkit's), the learner's consent page (DOT's authorization view, our words),
and Settings → Connected platforms in the backpack, where the learner disconnects one."""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.dynamic_client_registration import DynamicClientRegistrationView

from accounts.http import SignedInRequest
from obapi import scopes, selectors, services
from obapi.api import status_info_body
from verification.ratelimit import rate_limited

MAX_REGISTRATION_BYTES = 64 * 1024
_ECHOED = ("client_uri", "logo_uri", "tos_uri", "policy_uri", "software_id", "software_version", "contacts")


def _registration_error(description: str, error: str = "invalid_client_metadata") -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=400)


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _redirect_problem(uri: Any) -> str | None:
    if not isinstance(uri, str):
        return "Each redirect URI must be a string."
    parts = urlsplit(uri)
    if parts.fragment:
        return f"{uri}: a redirect URI may not have a fragment."
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and _loopback(parts.hostname):
        return None  # a native app on the learner's own machine (RFC 8252)
    return f"{uri}: redirect URIs must be https (http only on a loopback address)."


_DCR = DynamicClientRegistrationView.as_view()


@csrf_exempt
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    """RFC 7591 dynamic client registration, open to any platform as OB 3.0 asks: our checks on the
    metadata, then django-oauth-toolkit registers the client (its secret is kept hashed). Every attempt
    counts against ``OBAPI_REGISTER_RATE_LIMIT`` per client address; over it, 429 with Retry-After."""
    retry_after = rate_limited(request, "obapi-register", settings.OBAPI_REGISTER_RATE_LIMIT)
    if retry_after is not None:
        limited = JsonResponse(status_info_body(
            429, f"Too many client registrations from your address. Try again in {retry_after} seconds."),
            status=429)
        limited["Retry-After"] = str(retry_after)
        return limited
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_REGISTRATION_BYTES:
        return _registration_error("The registration request is too large.")
    try:
        data = json.loads(request.body)
    except ValueError:
        return _registration_error("The body must be JSON client metadata.")
    if not isinstance(data, dict):
        return _registration_error("The body must be a JSON object of client metadata.")
    uris = data.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        return _registration_error("redirect_uris must list at least one URI.", "invalid_redirect_uri")
    for uri in uris:
        problem = _redirect_problem(uri)
        if problem:
            return _registration_error(problem, "invalid_redirect_uri")
    asked = data.get("scope", " ".join(scopes.SCOPES))
    if not isinstance(asked, str) or not set(asked.split()) <= set(scopes.SCOPES):
        return _registration_error("scope may name only the Open Badges 3.0 scopes: " + " ".join(scopes.SCOPES))
    name = data.get("client_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        return _registration_error("client_name is required (the learner reads it when asked to consent).")
    response = _DCR(request)
    if response.status_code != 201:
        return response
    registered = json.loads(response.content)
    registered.update({"scope": asked, "response_types": ["code"],
                       **{k: data[k] for k in _ECHOED if isinstance(data.get(k), str | list)}})
    return JsonResponse(registered, status=201)


class Consent(AuthorizationView):
    """DOT's authorization endpoint: the learner signs in (the site's login), then reads which platform
    asks for what, in our words, and allows or refuses."""

    template_name = "obapi/consent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        context["scope_sentences"] = scopes.described(" ".join(context.get("scopes") or []))
        if application is not None:
            context["redirect_host"] = urlsplit((application.redirect_uris.split() or [""])[0]).hostname
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        redirect_uri = getattr(self, "oauth2_data", {}).get("redirect_uri")
        if response.status_code == 200 and redirect_uri:
            # Allow (a POST to us) answers with a redirect to the platform: the page's CSP form-action
            # must name the platform's origin, the registered redirect URI DOT has just checked.
            parts = urlsplit(redirect_uri)
            response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # type: ignore[attr-defined]
        return response


@login_required
@require_safe
def platforms(request: SignedInRequest) -> HttpResponse:
    """Settings → Connected platforms: who may read or add to the backpack, and since when."""
    return render(request, "obapi/platforms.html", {"platforms": selectors.connected_platforms(request.user)})


@login_required
@require_POST
def platform_disconnect(request: SignedInRequest, public_id: str) -> HttpResponse:
    connected = {p.client_id for p in selectors.connected_platforms(request.user)}
    application = selectors.application_by_client_id(public_id) if public_id in connected else None
    if application is None:
        raise Http404("No such platform is connected to your backpack.")
    services.platform_disconnect(user=request.user, application=application)
    messages.success(request, f"{application.name or 'The platform'} is disconnected: it can no longer read or add "
                              "to your backpack.")
    return redirect("obapi:platforms")
