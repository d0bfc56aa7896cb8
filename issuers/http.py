"""Request types for annotations: what ``TenantScopeMiddleware`` adds to a request.

These classes are never instantiated. Django and DRF build the requests; the middleware sets
``tenant``, ``membership`` and ``api_key`` on every one. Views name the type that matches what they
can rely on, so the type checker knows the attributes exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from accounts.models import User
    from issuers.models import ApiKey, Membership, Tenant


class TenantRequest(HttpRequest):
    """Any request after ``TenantScopeMiddleware``: each attribute is None unless the request has it."""

    tenant: Tenant | None
    membership: Membership | None
    api_key: ApiKey | None


class StaffRequest(TenantRequest):
    """A request to a staff page under ``/t/<tenant_slug>/`` behind ``role_required``: the middleware has
    found the signed-in user's membership of the tenant (``role_required`` answers 404 without one)."""

    tenant: Tenant
    membership: Membership
    user: User


class ApiKeyRequest(TenantRequest):
    """A request that ``TenantScopeMiddleware`` accepted with an API key: the key and its tenant are set."""

    tenant: Tenant
    api_key: ApiKey


class ApiRequest(Request):
    """A DRF request authenticated by ``ApiKeyAuthentication``: ``auth`` is the tenant's API key, and
    DRF passes ``tenant`` through from the underlying request."""

    tenant: Tenant
    auth: ApiKey
