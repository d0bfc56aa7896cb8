"""The Django admin's login page, replaced by the site's own door."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """``/admin/login/`` never checks a password itself: Django's admin login would sign a platform admin
    in with the password alone, past the site's MFA step and its login rate limits. Anyone not signed in
    is sent to the site's login (password, then TOTP when the account has it) and comes back here."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    if not request.user.is_authenticated:
        query = urlencode({REDIRECT_FIELD_NAME: next_url or reverse("admin:index")})
        return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied("This account has no access to the platform admin.")
    return HttpResponseRedirect(next_url or reverse("admin:index"))
