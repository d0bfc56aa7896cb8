"""API endpoints for badge classes. Creating and editing go through ``badges.services``; an edit of a
badge class that has awards may answer with a *new version* (a new id): use the id returned."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from badges.models import BadgeClass
from badges.serializers import BadgeClassSerializer
from badges.services import badge_class_create, badge_class_update
from issuers.api import Pagination, api_actor, object_or_404
from issuers.context import current_context
from issuers.parsers import DepthLimitedJSONParser


def badge_class_or_404(public_id: Any) -> BadgeClass:
    return object_or_404(BadgeClass.objects.select_related("issuer", "previous_version"), public_id,
                         "badge class", "GET /api/v1/badgeclasses/")


def badge_class_to_award_or_404(public_id: Any) -> BadgeClass:
    """The badge class an award endpoint awards: with its issuer (its default verification) and the
    request's tenant (already read with the API key), not the previous version, which only the badge's own
    answer shows. Joining a second badge row and reading the tenant again were most of a single award's
    lookups."""
    badge = object_or_404(BadgeClass.objects.select_related("issuer").only(*AWARD_FIELDS), public_id, "badge class",
                          "GET /api/v1/badgeclasses/")
    context = current_context()
    if context is not None and context.tenant.pk == badge.tenant_id:
        _TENANT.set_cached_value(badge, context.tenant)
    return badge


_TENANT = BadgeClass._meta.get_field("tenant")
# What issuing reads of the badge class and its issuer (the rules, the audit entry, the answer): 13 columns
# of 34, a third of the lookup's CPU (compiling and reading the others). Anything else is read on first use;
# tests/badgeplatform/test_query_counts.py pins a single award's statements, so a new use shows there.
AWARD_FIELDS = ("id", "tenant_id", "issuer_id", "public_id", "name", "retired_at", "validity_days",
                "previous_version_id", "issuer__id", "issuer__tenant_id", "issuer__public_id", "issuer__name",
                "issuer__default_verification")


class BadgeClassList(generics.ListCreateAPIView):
    """Your college's badge classes (retired ones included, marked ``retired``). POST creates one:
    multipart with ``image`` as a file; ``alignments`` and ``tags`` as JSON text."""

    serializer_class = BadgeClassSerializer
    parser_classes = [MultiPartParser, FormParser, DepthLimitedJSONParser]
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[BadgeClass]:
        return BadgeClass.objects.select_related("issuer", "previous_version").order_by("name", "created_at")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        badge = badge_class_create(**api_actor(request), **serializer.validated_data)
        return Response(self.get_serializer(badge).data, status=status.HTTP_201_CREATED)


class BadgeClassDetail(generics.RetrieveUpdateAPIView):
    """One badge class. PATCH changes any field but the issuer. If the badge class has been awarded
    and what it means changes (name, description, criteria, image, alignments), the answer is a new
    version with its own id (``previous_version`` names this one, which is retired); awards already
    made keep the version they were made with."""

    serializer_class = BadgeClassSerializer
    parser_classes = [MultiPartParser, FormParser, DepthLimitedJSONParser]
    http_method_names = ["get", "patch", "options"]

    def get_object(self) -> BadgeClass:
        return badge_class_or_404(self.kwargs["public_id"])

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        badge = self.get_object()
        serializer = self.get_serializer(badge, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = badge_class_update(badge_class=badge, **api_actor(request), **serializer.validated_data)
        response = Response(self.get_serializer(updated).data)
        if updated.pk != badge.pk:
            response["Location"] = request.build_absolute_uri(reverse("api:badgeclass", args=[updated.public_id]))
        return response
