"""What every REST API endpoint shares: JSON errors, the ``Idempotency-Key`` replay, the
request-size cap, and the OpenAPI schema and docs.

The endpoints themselves live in the apps (``issuers.api``, ``badges.api``, ``assertions.api``) and
are wired together in ``badgeplatform.api_urls``, which wraps every one of them in :func:`api_guard`,
so a new POST endpoint is idempotent without having to remember it (the apps never import this module).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from badgeplatform.faults import crash_point
from badges.images import ImageRejected
from issuers.http import ApiKeyRequest
from issuers.models import IdempotencyKey

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a NOWAIT lock that another transaction holds
# Bodies above this are refused before anything reads them: the largest legitimate one is a 5 MB CSV.
MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024 * 1024
NO_KEY_MESSAGE = (
    "Send your college's API key as 'Authorization: Bearer <key>'. An admin creates keys under Settings → API keys."
)


# --- errors -------------------------------------------------------------------------------------


def _first_message(errors: Any) -> str:
    """The first human message in DRF's nested error structure, with the field it is about."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            if message:
                return message if field in {"non_field_errors", "detail"} else f"{field}: {message}"
        return ""
    if isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
        return ""
    return str(errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is JSON ``{"detail": "<what to do>"}``; a validation error adds ``"errors"`` by field.

    The services raise Django's ``ValidationError`` and ``PermissionDenied`` with messages meant for
    people; they become 400 and 403 here. Anything else unexpected stays a 500 (and is logged)."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, ImageRejected):
        exc = exceptions.ValidationError({"image": [str(exc)]})
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "Your API key does not allow this.")
    elif isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = exceptions.ErrorDetail(NO_KEY_MESSAGE, code="not_authenticated")  # keeps its auth header
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": _first_message(errors) or "The request is not valid.", "errors": errors}
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": _first_message(response.data)}
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Anything under /api/v1/ that no endpoint matches (including a malformed id): JSON, not a web page."""
    message = f"No API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            message += f" Did you mean {request.path}/ (with the trailing slash)?"
    else:
        message += " Ids are the UUIDs that the API returns. The endpoints are listed at /api/v1/docs/."
    return JsonResponse({"detail": message}, status=404)


# --- idempotency and the size cap ---------------------------------------------------------------


def api_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps every API endpoint: refuses oversized bodies, and makes POSTs with an
    ``Idempotency-Key`` replay their first response instead of acting twice."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"} and _content_length(request) > MAX_BODY_BYTES:
            return _error(413, f"The request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB.")
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method != "POST" or key is None or getattr(request, "api_key", None) is None:
            return view(request, *args, **kwargs)
        return _idempotent(view, cast(ApiKeyRequest, request), key.strip(), args, kwargs)

    return wrapper


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _error(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code)


def request_fingerprint(request: HttpRequest) -> str:
    """The method, path, query and body. A multipart body's boundary is random per send, so it is
    left out: a client retrying the same upload gets the same fingerprint."""
    body = request.body
    content_type = request.META.get("CONTENT_TYPE", "")
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if content_type.startswith("multipart/") and boundary:
        body = body.replace(boundary.group(1).encode(), b"")
        content_type = "multipart/form-data"
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()} {content_type}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _idempotent(view: Callable[..., HttpResponse], request: ApiKeyRequest, key: str, args: Any,
                kwargs: Any) -> HttpResponse:
    """The key's row is created (committed) first, so a concurrent retry finds it; then the request acts
    in ONE transaction that holds the row's lock and records the response with the work. A process that
    dies anywhere leaves either the work and its response committed together (a retry replays it), or
    neither (its connection's transaction rolls back and releases the lock: a retry acts, once)."""
    if not key or len(key) > 200:
        return _error(400, f"The {IDEMPOTENCY_HEADER} header must be 1 to 200 characters (a UUID is ideal).")
    try:
        fingerprint = request_fingerprint(request)
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return _error(413, f"A request with an {IDEMPOTENCY_HEADER} may be at most {limit} MB.")
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(tenant=request.tenant, key=key, fingerprint=fingerprint)
    except IntegrityError:
        record = IdempotencyKey.objects.filter(key=key).first()
        if record is not None and record.fingerprint != fingerprint:
            return _error(422, f"This {IDEMPOTENCY_HEADER} was already used for a different request. "
                               "Use a new key for every new request, and the same key only to retry the same one.")
        if record is not None and record.status == IdempotencyKey.Status.DONE:
            return _replay(record)
    try:
        return _act(view, request, key, args, kwargs)
    except BaseException:
        _release(key)
        raise


class _InFlight(Exception):
    """Another request holds the key's row: it is acting right now."""


def _act(view: Callable[..., HttpResponse], request: HttpRequest, key: str, args: Any,
         kwargs: Any) -> HttpResponse:
    try:
        with transaction.atomic():
            record = _lock(key)
            if record is None:  # released a moment ago by a request that failed: the client may retry
                return _retry_later()
            if record.status == IdempotencyKey.Status.DONE:  # finished while this request waited
                return _replay(record)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            if getattr(response, "streaming", False):  # no body to store: nothing to replay
                IdempotencyKey.objects.filter(pk=record.pk).delete()
                return response
            if response.status_code >= 500:  # not stored, and nothing it did is kept: the retry acts afresh
                transaction.set_rollback(True)
            else:
                IdempotencyKey.objects.filter(pk=record.pk).update(
                    status=IdempotencyKey.Status.DONE, response_status=response.status_code,
                    response_body=response.content,
                    response_content_type=response.get("Content-Type", "application/json")[:100],
                )
                crash_point("idempotency-before-commit")
    except _InFlight:
        return _retry_later()
    if response.status_code >= 500:
        _release(key)
    crash_point("idempotency-after-commit")
    return response


def _lock(key: str) -> IdempotencyKey | None:
    """The key's row, locked until the transaction ends. On PostgreSQL a row another request holds
    answers at once (``_InFlight``), never waits. SQLite has no row locks, but every transaction takes the
    database's write lock first (``transaction_mode`` IMMEDIATE), so a request acting on the key ends
    before this one's transaction begins; a row still in flight here is one its request left when it died."""
    try:
        return IdempotencyKey.objects.select_for_update(nowait=True).filter(key=key).first()
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise _InFlight from exc
        raise


def _release(key: str) -> None:
    """Forget a key whose request failed (5xx, exception), so the client's retry acts. A lost database
    connection is often the very cause of the failure: then the release goes over a fresh connection
    instead of failing on the dead one. A row no request holds is taken over by the next one anyway
    (see ``_lock``), so a failed release only leaves a row behind, never a key refused with 409."""
    for attempt in range(2):
        try:
            IdempotencyKey.objects.filter(key=key, status=IdempotencyKey.Status.IN_FLIGHT).delete()
            return
        except DatabaseError:
            if attempt or connection.in_atomic_block:
                logger.warning("Could not release %s %r", IDEMPOTENCY_HEADER, key, exc_info=True)
                return
            connection.close()  # the next query opens a new connection


def _retry_later() -> JsonResponse:
    response = _error(409, f"A request with this {IDEMPOTENCY_HEADER} is still being processed. "
                           "Retry in a moment to get its response.")
    response["Retry-After"] = "1"
    return response


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body), status=record.response_status,
                            content_type=record.response_content_type or "application/json")
    response["Idempotent-Replayed"] = "true"
    return response


# --- OpenAPI ------------------------------------------------------------------------------------


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "issuers.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer",
                "description": "A tenant API key (it starts with `bp_`), sent as `Authorization: Bearer <key>`."}


_CHECK = {"type": "object", "properties": {"name": {"type": "string"}, "passed": {"type": "boolean"},
                                           "message": {"type": "string"}}}
_ONE_RESULT: dict[str, Any] = {
    "valid": {"type": "boolean", "description": "The verdict is `valid`."},
    "verdict": {"type": "string", "enum": ["valid", "revoked", "expired", "invalid"],
                "description": "Whether the badge is genuine and in force. Never changed by `recipient`."},
    "recipient_matched": {
        "type": "boolean", "nullable": True,
        "description": "Whether `recipient` is the address the badge was issued to; null when no recipient was "
                       "given. A genuine badge of another person is `verdict: valid` with `recipient_matched: "
                       "false`."},
    "checks": {"type": "array", "items": _CHECK},
    "badge": {"type": "object", "nullable": True, "description": "What the badge means: name, criteria, "
              "`issued_on`, `expires`, `revoked_at` and `revocation_reason` (UTC date-times, `Z`), and `standard` "
              "(`Open Badges 2.0` or `Open Badges 3.0`)."},
    "issuer": {"type": "object", "nullable": True},
    "checked_at": {"type": "string", "format": "date-time"},
}
_VERIFY_RESULT = {
    "type": "object",
    "properties": {
        **_ONE_RESULT,
        "collection": {"type": "object", "description": "Only for a collection link: its name and URL.",
                       "properties": {"name": {"type": "string"}, "url": {"type": "string"}}},
        "badges": {"type": "array", "description": "Only for a collection link: each badge's result.",
                   "items": {"type": "object", "properties": _ONE_RESULT}},
    },
    "required": ["valid", "checked_at"],
}


class VerifySchema(OpenApiViewExtension):
    """Documents ``POST /api/v1/verify/`` (the verification app's view) in the same schema."""

    target_class = "verification.api.VerifyView"

    def view_replacement(self) -> type:
        request = inline_serializer("VerifyRequest", {
            "url": serializers.URLField(required=False, help_text=(
                "A hosted assertion URL, or a link a learner shares: their share page (`/s/<id>/`), a "
                "collection (`/c/<id>/`), the badge's page or its certificate's QR code.")),
            "jws": serializers.CharField(required=False, help_text="A signed badge (compact JWS), or an Open "
                                         "Badges 3.0 VC-JWT."),
            "assertion": serializers.JSONField(required=False, help_text="An assertion document, or an Open "
                                               "Badges 3.0 credential with its embedded proof."),
            "recipient": serializers.EmailField(required=False, help_text="Check it was awarded to this address."),
        })

        class Documented(self.target_class):  # type: ignore[name-defined]
            @extend_schema(request={"application/json": request, "multipart/form-data": {
                "type": "object", "properties": {"image": {"type": "string", "format": "binary"},
                                                 "recipient": {"type": "string"}}}},
                responses={200: OpenApiResponse(response=_VERIFY_RESULT, description=(
                               "The verdict and each check; for a collection link (`/c/<id>/`), `collection` and "
                               "every badge on it in `badges`, each in this shape.")),
                           400: OpenApiResponse(description="The request names no badge."),
                           429: OpenApiResponse(description="Too many verifications from this address.")})
            def post(self, request: Request) -> Response:
                return super().post(request)

        return Documented


def only_the_college_api(endpoints: list[Any]) -> list[Any]:
    """The college's API only: the Open Badges 3.0 API (/ims/ob/v3p0/, a learner's OAuth tokens) is
    described by its own OpenAPI document, its service description at /ims/ob/v3p0/discovery."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


SCHEMA_SETTINGS = {
    "TITLE": "Badge Platform API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Issue and manage Open Badges 2.0 for your college. Authenticate with your college's API key "
        "(`Authorization: Bearer bp_…`). Every id is a UUID. Errors are JSON: `detail` says what to do, "
        "and validation errors add `errors` by field. Send an `Idempotency-Key` header with a POST to "
        "retry it safely: the first response is replayed (409 while it is still in flight, 422 if the "
        "key was used for a different request)."
    ),
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"VerificationEnum": "assertions.models.Assertion.Verification"},
    "PREPROCESSING_HOOKS": ["badgeplatform.api.only_the_college_api"],
}


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (YAML by default, JSON with ``?format=json``). Public: it lists the
    endpoints, not any college's data."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    custom_settings = SCHEMA_SETTINGS

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DocsView(SpectacularSwaggerView):
    """Swagger UI from the drf-spectacular-sidecar static files: no CDN, works offline."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    title = "Badge Platform API"
    url_name = "api:schema"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        # validatorUrl null: Swagger UI would otherwise ask an outside validator about our schema.
        response.data["settings"] = '{"deepLinking": true, "persistAuthorization": true, "validatorUrl": null}'
        return response

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        from django.templatetags.static import static

        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        from django.templatetags.static import static

        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
