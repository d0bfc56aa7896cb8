"""API endpoints for awards: issue one, issue a cohort (CSV or JSON rows, with a dry-run preview),
follow a cohort job, list and read awards, revoke. Every write goes through ``assertions.services``
or ``assertions.bulk``; these views only check the shape of the request and pick the objects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assertions.bulk import MAX_FILE_BYTES, bulk_job_create, bulk_preview, rows_from_csv, rows_from_json
from assertions.models import Assertion, BulkJob
from assertions.serializers import (
    ASSERTION_ROW_COLUMNS,
    AssertionCreateSerializer,
    AssertionSerializer,
    BulkFileSerializer,
    BulkJobSerializer,
    BulkPreviewSerializer,
    BulkRowsSerializer,
    assertion_row,
    assertion_rows,
)
from assertions.services import (
    AlreadyHolds,
    Recipient,
    assertion_issue,
    assertion_revoke,
    badge_class_require_awardable,
)
from badges.api import badge_class_to_award_or_404
from badges.models import BadgeClass
from issuers.api import KeysetPagination, api_actor, object_or_404
from issuers.models import OutboxEmail
from issuers.parsers import DepthLimitedJSONParser

_MAIL = OutboxEmail.Status
_DONE_EMAIL = [_MAIL.SENT, _MAIL.FAILED, _MAIL.UNKNOWN]
_LIVE = Q(revoked=False, claimed_at=None)
_BEFORE_EMAIL = _LIVE & ~Q(mail__status__in=_DONE_EMAIL)
# ``Assertion.pipeline_status`` as database filters, one per value it can take.
STATUS_FILTERS: dict[str, Q] = {
    "revoked": Q(revoked=True),
    "claimed": Q(revoked=False) & ~Q(claimed_at=None),
    "email_sent": _LIVE & Q(mail__status=_MAIL.SENT),
    "email_failed": _LIVE & Q(mail__status=_MAIL.FAILED),
    "email_unknown": _LIVE & Q(mail__status=_MAIL.UNKNOWN),
    "image_failed": _BEFORE_EMAIL & Q(bake_status=Assertion.BakeStatus.FAILED),
    "baked": _BEFORE_EMAIL & Q(bake_status=Assertion.BakeStatus.DONE),
    "recorded": _BEFORE_EMAIL & Q(bake_status=Assertion.BakeStatus.PENDING),
}


class BadgeClassAssertions(APIView):
    """Award this badge class to one learner."""

    http_method_names = ["post", "options"]

    @extend_schema(request=AssertionCreateSerializer, responses={
        201: AssertionSerializer,
        403: OpenApiResponse(description="The college is suspended, or has reached a limit of its plan (badges a "
                                         "month, learners a year): `detail` says which."),
        409: OpenApiResponse(description="The learner already holds this badge; allow_duplicate=true awards it again."),
    })
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        badge = badge_class_to_award_or_404(public_id)
        serializer = AssertionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        recipient = Recipient(
            identity=data["recipient_email"], name=data["recipient_name"], narrative=data["narrative"],
            issued_on=data.get("issued_on"), expires=data.get("expires"),
            evidence=tuple(data.get("evidence", ())),
        )
        try:
            (assertion,) = assertion_issue(badge_class=badge, recipients=[recipient], notify=data["notify"],
                                            verification_type=data.get("verification"),
                                            allow_duplicate=data["allow_duplicate"], **api_actor(request))
        except AlreadyHolds as exc:
            message = " ".join(exc.messages)
            return Response({"detail": f"{message} Send \"allow_duplicate\": true to award it again.",
                             "errors": {"recipient_email": [message]}}, status=status.HTTP_409_CONFLICT)
        # AssertionSerializer's JSON, written by the list's plain-row path (tests/api/test_api_fast_rows.py).
        return Response(assertion_rows([assertion_row(assertion)])[0], status=status.HTTP_201_CREATED)


class BadgeClassBulk(APIView):
    """Award this badge class to a cohort: a CSV as the multipart field ``file``, or JSON ``{"rows": [...]}``.
    With ``?dry_run=1`` nothing is issued: the answer lists every problem by its line in the file
    (header = line 1). Otherwise the good rows become a background job (202); sending the same rows
    again returns the same job."""

    http_method_names = ["post", "options"]
    parser_classes = [MultiPartParser, FormParser, DepthLimitedJSONParser]

    @extend_schema(
        request={"multipart/form-data": BulkFileSerializer, "application/json": BulkRowsSerializer},
        parameters=[OpenApiParameter("dry_run", bool, description="1: validate and list the problems only.")],
        responses={
            202: BulkJobSerializer,
            200: OpenApiResponse(BulkPreviewSerializer, description="The preview of a dry run."),
            400: OpenApiResponse(description="Nothing can be issued; errors.rows lists every problem."),
        },
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        badge = badge_class_to_award_or_404(public_id)
        badge_class_require_awardable(badge)
        rows, source, filename, options = self._rows(request)
        preview = bulk_preview(badge_class=badge, rows=rows, allow_duplicate=options["allow_duplicate"])
        problems = [p.as_dict() for p in preview.problems]
        if request.query_params.get("dry_run", "").lower() in {"1", "true", "yes"}:
            return Response({"dry_run": True, "total": preview.total, "good": len(preview.good),
                             "problems": problems})
        if not preview.good:
            return Response({"detail": f"None of the {preview.total} rows can be issued: fix them and send them "
                                       "again (errors.rows lists every problem).", "errors": {"rows": problems}},
                            status=status.HTTP_400_BAD_REQUEST)
        job, _ = bulk_job_create(badge_class=badge, preview=preview, source=source, filename=filename,
                                 **api_actor(request), **options)
        response = Response(BulkJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = response.data["url"]
        return response

    def _rows(self, request: Request) -> tuple[list, str, str, dict[str, Any]]:
        if "file" in request.FILES:
            serializer: serializers.Serializer = BulkFileSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            if upload.size > MAX_FILE_BYTES:
                raise ValidationError({"file": [f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: "
                                                "split it."]})
            field, source, filename = "file", "csv", upload.name or ""
            read: Callable[[], list] = lambda: rows_from_csv(upload.read())  # noqa: E731
        else:
            if not hasattr(request.data, "get") or ("rows" not in request.data and "file" in request.data):
                raise ValidationError({"file": ["Send the CSV as a file upload (multipart/form-data), or JSON "
                                                '{"rows": [...]}.']})
            serializer = BulkRowsSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            field, source, filename = "rows", "api", ""
            read = lambda: rows_from_json(serializer.validated_data["rows"])  # noqa: E731
        try:
            rows = read()
        except DjangoValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
        options = {"notify": serializer.validated_data["notify"],
                   "verification_type": serializer.validated_data.get("verification"),
                   "allow_duplicate": serializer.validated_data["allow_duplicate"]}
        return rows, source, filename, options


class JobDetail(generics.RetrieveAPIView):
    """A cohort job: ``status`` (queued, running, done, failed), counts, and every row that was not
    issued, by its line in the file."""

    serializer_class = BulkJobSerializer

    def get_object(self) -> BulkJob:
        return object_or_404(BulkJob.objects.all(), self.kwargs["public_id"], "job", "The 202 answer of a bulk POST")


class AssertionList(generics.ListAPIView):
    """Your college's awards, newest first (by issue date). Filter with ``badge_class`` (id),
    ``recipient`` (email) and ``status`` (a pipeline status). Follow ``next`` to walk them all: it is a
    cursor, so the thousandth page is as quick as the first; ``count`` is exact up to 10,000."""

    serializer_class = AssertionSerializer
    pagination_class = KeysetPagination

    @extend_schema(parameters=[
        OpenApiParameter("badge_class", uuid.UUID, description="Only awards of this badge class."),
        OpenApiParameter("recipient", str, description="Only awards to this email address."),
        OpenApiParameter("status", str, enum=sorted(STATUS_FILTERS), description="Only awards in this status."),
    ])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page is read as plain rows of the columns it shows and written out by assertion_rows(): the
        # serializer's JSON, byte for byte, at a fraction of DRF's CPU per row (500 a page).
        page = self.paginate_queryset(self.get_queryset().values(*ASSERTION_ROW_COLUMNS))
        return self.get_paginated_response(assertion_rows(page or []))

    def get_queryset(self) -> QuerySet[Assertion]:
        # The job only for its id (its rows, a whole cohort's file, stay in the database), and of the
        # badge class its id and name.
        queryset = Assertion.objects.order_by("-issued_on", "-id")
        params = self.request.query_params
        if params.get("badge_class"):
            try:
                badge_id = uuid.UUID(params["badge_class"])
            except ValueError:
                raise ValidationError({"badge_class": ["Give a badge class id (a UUID)."]}) from None
            badge = BadgeClass.objects.filter(public_id=badge_id).first()
            queryset = queryset.filter(badge_class=badge) if badge is not None else queryset.none()
        if params.get("recipient"):
            queryset = queryset.filter(recipient_identity=params["recipient"].strip().lower())
        if params.get("status"):
            if params["status"] not in STATUS_FILTERS:
                raise ValidationError({"status": [f"Unknown status; use one of {', '.join(sorted(STATUS_FILTERS))}."]})
            queryset = queryset.filter(STATUS_FILTERS[params["status"]])
        return queryset


class AssertionDetail(generics.RetrieveAPIView):
    """One award, with where its image and email are."""

    serializer_class = AssertionSerializer

    def get_object(self) -> Assertion:
        return assertion_or_404(self.kwargs["public_id"])


def assertion_or_404(public_id: Any) -> Assertion:
    awards = Assertion.objects.select_related("badge_class__issuer", "bulk_job", "mail")
    return object_or_404(awards, public_id, "award",
                         "GET /api/v1/assertions/")


class AssertionRevoke(APIView):
    """Revoke an award. The ``reason`` is public: learners and employers see it. Revoking a revoked
    award changes nothing and answers the same."""

    http_method_names = ["post", "options"]

    @extend_schema(request=inline_serializer("RevokeRequest", {"reason": serializers.CharField(max_length=300)}),
                   responses={200: AssertionSerializer})
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        assertion = assertion_or_404(public_id)
        reason = request.data.get("reason") if hasattr(request.data, "get") else None
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError({"reason": ["Give a reason (text): learners and employers see it."]})
        assertion = assertion_revoke(assertion=assertion, reason=reason, **api_actor(request))
        return Response(AssertionSerializer(assertion, context={"request": request}).data)
