"""DRF authentication by tenant API key.

The key itself is checked once, by ``TenantScopeMiddleware``, which also activates the tenant
scope for the whole request; this class only hands that result to DRF.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        api_key = getattr(request._request, "api_key", None)
        if api_key is None:
            return None
        return (None, api_key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasTenantApiKey(BasePermission):
    message = "Send your tenant's API key as 'Authorization: Bearer <key>'."

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(request._request, "api_key", None) is not None
