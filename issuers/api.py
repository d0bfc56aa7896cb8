"""API endpoints of the tenant layer: the key's tenant, and its issuer profiles.

Shared by the API modules of the higher apps: :class:`Pagination`, :func:`api_actor` (who acts, for
the audit log) and :func:`object_or_404` (a lookup inside the request's tenant scope, with a message
a person can act on).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from issuers.http import ApiRequest
from issuers.models import Issuer
from issuers.serializers import IssuerSerializer
from issuers.services import issuer_create, issuer_update

_M = TypeVar("_M", bound=Model)


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``?page=2&page_size=100`` (at most 500)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def api_actor(request: Request) -> dict[str, Any]:
    """``actor=`` for a service called by the API: the key (``Actor.label`` names it by its prefix)."""
    return {"actor": cast(ApiRequest, request).auth}


def object_or_404(queryset: QuerySet[_M], public_id: Any, what: str, listing: str) -> _M:
    """The object with this public id in the request's tenant scope. Another tenant's id is simply
    not there (the scoped manager filters it), so it gets the same 404 as an id that never existed."""
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise NotFound(f"No {what} with id {public_id} in your college. {listing} lists them.")
    return found


@extend_schema(responses={200: {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "slug": {"type": "string"}, "name": {"type": "string"},
    "status": {"type": "string"}}}})
@api_view(["GET"])
def tenant_detail(request: Request) -> Response:
    """The tenant that the API key belongs to: a cheap way to check a key works."""
    tenant = cast(ApiRequest, request).auth.tenant
    return Response({"id": str(tenant.public_id), "slug": tenant.slug, "name": tenant.name, "status": tenant.status})


class IssuerList(generics.ListCreateAPIView):
    """Your college's issuer profiles; POST creates one (with its signing key)."""

    serializer_class = IssuerSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Issuer]:
        return Issuer.objects.all()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issuer = issuer_create(tenant=cast(ApiRequest, request).tenant, **api_actor(request),
                               **serializer.validated_data)
        return Response(self.get_serializer(issuer).data, status=status.HTTP_201_CREATED)


class IssuerDetail(generics.RetrieveUpdateAPIView):
    """One issuer profile; PATCH changes name, url, email, description or default_verification."""

    serializer_class = IssuerSerializer
    http_method_names = ["get", "patch", "options"]

    def get_object(self) -> Issuer:
        return object_or_404(Issuer.objects.all(), self.kwargs["public_id"], "issuer", "GET /api/v1/issuers/")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        issuer = self.get_object()
        serializer = self.get_serializer(issuer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        issuer = issuer_update(issuer=issuer, **api_actor(request), **serializer.validated_data)
        return Response(self.get_serializer(issuer).data)
