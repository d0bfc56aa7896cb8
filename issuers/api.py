"""API endpoints of the tenant layer."""

from __future__ import annotations

from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response


@api_view(["GET"])
def tenant_detail(request: Request) -> Response:
    """The tenant that the API key belongs to: a cheap way to check a key works."""
    tenant = request.auth.tenant
    return Response({"id": str(tenant.public_id), "slug": tenant.slug, "name": tenant.name, "status": tenant.status})
