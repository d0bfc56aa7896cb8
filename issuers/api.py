"""API endpoints of the tenant layer: the key's tenant, and its issuer profiles.

Shared by the API modules of the higher apps: :class:`Pagination`, :func:`api_actor` (who acts, for
the audit log) and :func:`object_or_404` (a lookup inside the request's tenant scope, with a message
a person can act on).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from django.core import signing
from django.db.models import Model, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

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


class KeysetPagination(BasePagination):
    """Newest first by ``(issued_on, id)``, read from an index that leads with the filtered column and
    holds those two: a page costs the same on the first page and the thousandth, whatever the table holds.

    The answer keeps the shape of :class:`Pagination` (``count``, ``next``, ``previous``, ``results``):
    ``next`` and ``previous`` carry a signed ``cursor`` (the last row's sort key: never guessed or edited),
    ``?page=N`` still works for the first ``MAX_OFFSET`` awards (it skips rows along the index), and
    ``count`` is exact up to ``COUNT_CAP`` and ``null`` beyond: counting a million rows per page was
    most of the page's cost. Follow ``next`` to walk every award. The rows may be model instances or
    ``.values()`` dicts holding the ordering's columns."""

    page_size, max_page_size = 50, 500
    COUNT_CAP, MAX_OFFSET = 10_000, 10_000
    ordering: Sequence[str] = ("issued_on", "id")
    salt = "api.keyset"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.size = self._size(request)
        params = request.query_params
        self.count: int | None = None
        ordered = queryset.order_by(*(f"-{c}" for c in self.ordering))
        backwards = False
        if params.get("cursor"):
            key, backwards = self._decode(params["cursor"])
            ordered = (queryset.order_by(*self.ordering) if backwards else ordered).filter(
                self._beyond(key, backwards))
            rows = list(ordered[: self.size + 1])
            more = len(rows) > self.size
            rows = rows[: self.size]
            if backwards:
                rows.reverse()
            self.has_next, self.has_previous = (True, more) if backwards else (more, True)
        else:
            page = self._page(params.get("page"))
            offset = (page - 1) * self.size
            # Bounded: an index-only count of at most COUNT_CAP + 1 rows.
            capped = queryset.order_by().values("pk")[: self.COUNT_CAP + 1].count()
            self.count = capped if capped <= self.COUNT_CAP else None
            if page > 1 and self.count is not None and offset >= self.count:
                raise NotFound(f"There is no page {page}: follow the answer's \"next\" link from the first page.")
            if offset >= self.MAX_OFFSET:
                raise ValidationError({"page": [f"Pages stop {self.MAX_OFFSET:,} awards in: follow the answer's "
                                                "\"next\" link (a cursor) to go further."]})
            page_rows = ordered
            if offset:
                # The previous page's last sort key, read from the index alone, then a keyset page: the
                # skipped rows are never joined with their badge class, email and job.
                skipped = list(ordered.values_list(*self.ordering)[offset - 1: offset])
                page_rows = ordered.filter(self._beyond(list(skipped[0]), False)) if skipped else ordered.none()
            rows = list(page_rows[: self.size + 1])
            if not rows and page > 1:
                raise NotFound(f"There is no page {page}: follow the answer's \"next\" link from the first page.")
            self.has_next, self.has_previous = len(rows) > self.size, page > 1
            rows = rows[: self.size]
        self.rows = rows
        return rows

    def _beyond(self, key: list[Any], backwards: bool) -> Q:
        """Rows past ``key`` in the page's direction: ``(issued_on, id) < key`` (``>`` going back), written
        so that the bound on the first column is an index range and the second only breaks ties."""
        a, b = self.ordering
        if backwards:
            return Q(**{f"{a}__gte": key[0]}) & (Q(**{f"{a}__gt": key[0]}) | Q(**{f"{b}__gt": key[1]}))
        return Q(**{f"{a}__lte": key[0]}) & (Q(**{f"{a}__lt": key[0]}) | Q(**{f"{b}__lt": key[1]}))

    def _size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if not raw:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]})
        return min(int(raw), self.max_page_size)

    def _page(self, raw: str | None) -> int:
        if not raw:
            return 1
        if not raw.isdigit() or int(raw) < 1:
            raise NotFound("Give the page as a whole number from 1, or follow the answer's \"next\" link.")
        return int(raw)

    def _decode(self, cursor: str) -> tuple[list[Any], bool]:
        try:
            when, pk, direction = signing.loads(cursor, salt=self.salt)
            return [datetime.fromisoformat(when), int(pk)], direction == "before"
        except (signing.BadSignature, ValueError, TypeError):
            raise ValidationError({"cursor": ["This cursor is not one of ours: follow the \"next\" or "
                                              "\"previous\" link of an answer."]}) from None

    def _link(self, row: Any, direction: str) -> str:
        a, b = (row[c] for c in self.ordering) if isinstance(row, dict) else (getattr(row, c) for c in self.ordering)
        key = [a.isoformat(), b, direction]
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return cast(str, replace_query_param(url, "cursor", signing.dumps(key, salt=self.salt)))

    def get_paginated_response(self, data: Any) -> Response:
        return Response({
            "count": self.count,
            "next": self._link(self.rows[-1], "after") if self.has_next and self.rows else None,
            "previous": self._link(self.rows[0], "before") if self.has_previous and self.rows else None,
            "results": data,
        })

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "required": ["count", "results"], "properties": {
            "count": {"type": "integer", "nullable": True, "description": (
                f"How many match, exact up to {self.COUNT_CAP:,}; null beyond (follow next to the end).")},
            "next": {"type": "string", "format": "uri", "nullable": True,
                     "description": "The next page (a signed cursor), null on the last."},
            "previous": {"type": "string", "format": "uri", "nullable": True},
            "results": schema}}

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
             "description": "From an answer's next or previous link."},
            {"name": "page", "required": False, "in": "query", "schema": {"type": "integer"},
             "description": f"Page number, for the first {self.MAX_OFFSET:,} awards; the cursor goes further."},
            {"name": "page_size", "required": False, "in": "query", "schema": {"type": "integer"},
             "description": f"Awards per page (default {self.page_size}, at most {self.max_page_size})."},
        ]


def api_actor(request: Request) -> dict[str, Any]:
    """``actor=`` for a service called by the API: the key (``Actor.label`` names it by its prefix)."""
    return {"actor": cast(ApiRequest, request).auth}


def object_or_404(queryset: QuerySet[_M], public_id: Any, what: str, listing: str) -> _M:
    """The object with this public id in the request's tenant scope. Another tenant's id is simply
    not there (the scoped manager filters it), so it gets the same 404 as an id that never existed."""
    # Public ids are unique: no ORDER BY (``first()`` sorts by the model's ordering, a cost of its own).
    found = next(iter(queryset.filter(public_id=public_id).order_by()[:1]), None)
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
