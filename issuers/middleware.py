"""One middleware resolves the tenant of a request and switches its scope on.

* Staff pages live under ``/t/<tenant_slug>/``: the user must be a member of that tenant (else 404,
  so an outsider cannot even learn that the tenant exists); the request acts as that member.
* API calls carry ``Authorization: Bearer <key>``: the key names the tenant, and the request acts as the key.
* Either way the request runs in ``issuers.context.tenant_context``: the tenant's scope, its time zone
  and the actor, entered together, as ``TenantTask`` and the management commands enter them.
* The platform admin (``/admin/``) reads across tenants, for superusers only.
* A suspended tenant is read-only: any request that could write (not GET/HEAD/OPTIONS) to its staff
  pages or its API answers 403 with a message, here, once, before any view runs. Views that only
  read by POST (the verifier) opt out with ``issuers.permissions.reads_only``. Tasks are refused in the services.
* Everything else runs with no tenant scope at all, so a query of tenant-owned data raises.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse

from issuers.context import tenant_context
from issuers.http import TenantRequest
from issuers.models import Membership, Tenant
from issuers.scoping import unscoped
from issuers.selectors import api_key_authenticate, user_has_mfa

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _writes_refused(request: TenantRequest, tenant: Tenant) -> bool:
    if tenant.is_active or request.method in SAFE_METHODS:
        return False
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return True
    return not getattr(view, "reads_only", False)


class TenantScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: TenantRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        request.api_key = None

        auth_header = request.headers.get("Authorization", "")
        if request.path.startswith("/api/") and auth_header.startswith("Bearer "):
            return self._api(request, auth_header.removeprefix("Bearer ").strip())

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)

        slug = match.kwargs.get("tenant_slug")
        if slug is not None:
            return self._staff(request, slug)
        if match.app_name == "admin" and request.user.is_authenticated and request.user.is_superuser:
            with unscoped("platform admin: superusers manage every tenant in the Django admin"):
                return self.get_response(request)
        return self.get_response(request)

    def _api(self, request: TenantRequest, raw_key: str) -> HttpResponse:
        api_key = api_key_authenticate(raw_key)
        if api_key is None:
            return JsonResponse({"detail": "Invalid or revoked API key."}, status=401)
        request.api_key = api_key
        request.tenant = api_key.tenant
        if _writes_refused(request, api_key.tenant):
            return JsonResponse({"detail": api_key.tenant.suspended_message}, status=403)
        with tenant_context(api_key.tenant, api_key):
            return self.get_response(request)

    def _staff(self, request: TenantRequest, slug: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise Http404("No such tenant.")
        with tenant_context(tenant, request.user):
            membership = Membership.objects.filter(user=request.user).first()
            if membership is None:
                raise Http404("No such tenant.")
            if tenant.require_mfa and not user_has_mfa(request.user):
                return redirect(f"{reverse('mfa_index')}?required={tenant.slug}")
            request.tenant = tenant
            request.membership = membership
            request.session["last_tenant"] = tenant.slug
            if _writes_refused(request, tenant):
                return render(request, "issuers/suspended.html", {"message": tenant.suspended_message}, status=403)
            return self.get_response(request)
