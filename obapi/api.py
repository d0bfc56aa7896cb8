"""The 1EdTech Open Badges 3.0 API (OB 3.0 section 6) for the learner's other platforms, over
django-oauth-toolkit's tokens: ``GET``/``POST /ims/ob/v3p0/credentials``, ``GET``/``PUT /profile`` and the
service description at ``/discovery``. Thin: the selectors and services do the work. Every error is
the spec's ``Imsx_StatusInfo``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenMatchesOASRequirements
from rest_framework import exceptions
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backpack.services import MAX_IMPORT_BYTES
from obapi import scopes, selectors, services

PREFIX = "/ims/ob/v3p0"
MAX_LIMIT = 100
MINOR = {400: "invalid_data", 401: "unauthorizedrequest", 403: "forbidden", 404: "not_found", 405: "not_allowed",
         406: "not_acceptable", 413: "invalid_data", 415: "invalid_data", 429: "server_busy",
         500: "internal_server_error"}


def status_info_body(status: int, description: str, minor: str | None = None) -> dict[str, Any]:
    """The spec's ``Imsx_StatusInfo`` error body."""
    return {
        "imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": description,
        "imsx_codeMinor": {"imsx_codeMinorField": [{
            "imsx_codeMinorFieldName": "TargetEndSystem",
            "imsx_codeMinorFieldValue": minor or MINOR.get(status, "unknown")}]},
    }


def status_info(status: int, description: str, minor: str | None = None) -> Response:
    return Response(status_info_body(status, description, minor), status=status)


class LearnerToken(OAuth2Authentication):
    """A learner's access token from our OAuth 2.0 server (django-oauth-toolkit)."""

    www_authenticate_realm = "ims/ob/v3p0"


class _BadQuery(Exception):
    pass


class _Unparsed(BaseParser):
    """Any body, left as it came: the view reads ``request.body`` itself (a credential is kept byte for
    byte), and DOT's token check may look at ``request.data`` without refusing a media type."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> dict[str, Any]:
        return {}


class ObApiView(APIView):
    """What every endpoint shares: the learner's bearer token, the scope each method needs, and
    ``Imsx_StatusInfo`` for every refusal (a service's ValidationError is a 400 with its message)."""

    authentication_classes = [LearnerToken]
    permission_classes = [TokenMatchesOASRequirements]
    renderer_classes = [JSONRenderer]
    parser_classes = [_Unparsed]
    required_alternate_scopes: dict[str, list[list[str]]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        request._request.body  # noqa: B018 - read first, so it stays readable after DRF touches the stream
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ValidationError):
            return status_info(400, " ".join(exc.messages), "invalid_data")
        if isinstance(exc, _BadQuery):
            return status_info(400, str(exc), "invalid_query_parameter")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = status_info(401, "Send a valid access token: 'Authorization: Bearer <token>'. It may have "
                                        "expired (refresh it) or been revoked (ask the learner again).")
            response["WWW-Authenticate"] = f'Bearer realm="{LearnerToken.www_authenticate_realm}"'
            return response
        if isinstance(exc, exceptions.PermissionDenied):
            need = " or ".join(" ".join(group) for group in self.required_alternate_scopes.get(
                self.request.method or "", []))
            return status_info(403, f"The access token does not grant this. It needs the scope {need}.")
        if isinstance(exc, exceptions.MethodNotAllowed):
            return status_info(405, f"{self.request.method} is not allowed here.")
        if isinstance(exc, exceptions.APIException):
            return status_info(exc.status_code, str(exc.detail))
        raise exc

    def user(self) -> Any:
        return self.request.user


def _query_int(request: Request, name: str, *, minimum: int, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise _BadQuery(f"{name} must be a whole number.") from exc
    if value < minimum:
        raise _BadQuery(f"{name} must be at least {minimum}.")
    return value


def _since(request: Request) -> datetime | None:
    raw = request.query_params.get("since")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _BadQuery("since must be a date-time such as 2026-01-31T09:00:00Z.") from exc
    if value.tzinfo is None:
        raise _BadQuery("since must say its time zone, e.g. 2026-01-31T09:00:00Z.")
    return value


def _link(path: str, limit: int, offset: int, rel: str, since: str | None) -> str:
    query = {"limit": limit, "offset": offset, **({"since": since} if since else {})}
    return f'<{settings.PUBLIC_BASE_URL}{path}?{urlencode(query)}>; rel="{rel}"'


def _paging_links(path: str, limit: int, offset: int, total: int, since: str | None) -> str:
    last = max(0, (total - 1) // limit * limit)
    links = [_link(path, limit, 0, "first", since), _link(path, limit, last, "last", since)]
    if offset + limit < total:
        links.append(_link(path, limit, offset + limit, "next", since))
    if offset > 0:
        links.append(_link(path, limit, max(0, offset - limit), "prev", since))
    return ", ".join(links)


_STATUS_INFO = {"type": "object", "description": "Imsx_StatusInfo: why the request was refused.", "properties": {
    "imsx_codeMajor": {"type": "string", "enum": ["failure"]},
    "imsx_severity": {"type": "string", "enum": ["error"]},
    "imsx_description": {"type": "string"},
    "imsx_codeMinor": {"type": "object"}}, "required": ["imsx_codeMajor", "imsx_severity"]}
_CREDENTIAL = {"type": "object", "description": "An OpenBadgeCredential (AchievementCredential) with its proof.",
               "additionalProperties": True}
_PROFILE = {"type": "object", "description": "The learner's Profile.", "properties": {
    "@context": {"type": "array", "items": {"type": "string"}}, "type": {"type": "string"},
    "id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"}}}
_ERRORS = {code: OpenApiResponse(response=_STATUS_INFO, description=text) for code, text in {
    400: "The request is not valid; imsx_description says why.", 401: "No valid access token.",
    403: "The token does not grant the scope this needs."}.items()}


class Credentials(ObApiView):
    required_alternate_scopes = {"GET": [[scopes.CREDENTIAL_READONLY]], "POST": [[scopes.CREDENTIAL_UPSERT]]}

    @extend_schema(
        operation_id="getCredentials", summary="The learner's Open Badges 3.0 credentials",
        description="Ours as issued (JSON-LD with its eddsa-rdfc-2022 proof) and the ones the learner imported, "
                    "byte for byte (VC-JWTs in `compactJwsString`). `X-Total-Count` and `Link` (first, last, next, "
                    "prev) page them.",
        parameters=[
            OpenApiParameter("limit", int, description=f"How many per page (1 to {MAX_LIMIT}, default {MAX_LIMIT})."),
            OpenApiParameter("offset", int, description="The index of the first to return, from 0."),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only those issued after this time.")],
        responses={200: OpenApiResponse(response={"type": "object", "properties": {
            "credential": {"type": "array", "items": _CREDENTIAL},
            "compactJwsString": {"type": "array", "items": {"type": "string"}}}},
            description="GetOpenBadgeCredentialsResponse"), **_ERRORS})
    def get(self, request: Request) -> HttpResponse:
        limit = min(_query_int(request, "limit", minimum=1, default=MAX_LIMIT), MAX_LIMIT)
        offset = _query_int(request, "offset", minimum=0, default=0)
        since = _since(request)
        items = selectors.learner_credential_items(self.user(), since=since)
        page = [selectors.credential_of(item) for item in items[offset:offset + limit]]
        response = HttpResponse(selectors.credentials_body(page), content_type="application/json")
        response["X-Total-Count"] = str(len(items))
        response["Link"] = _paging_links(request.path, limit, offset, len(items), request.query_params.get("since"))
        return response

    @extend_schema(
        operation_id="upsertCredential", summary="Add a credential to the learner's backpack, or replace it",
        description="The credential as JSON (`application/json` or `application/vc+ld+json`) or its VC-JWT "
                    "(`text/plain`). It is verified as an import is and must be issued to one of the learner's "
                    "verified addresses; an earlier copy (same `id`) is replaced. The body comes back unchanged.",
        request={"application/json": _CREDENTIAL, "application/vc+ld+json": _CREDENTIAL,
                 "text/plain": {"type": "string"}},
        responses={200: OpenApiResponse(response=_CREDENTIAL, description="Replaced an earlier copy."),
                   201: OpenApiResponse(response=_CREDENTIAL, description="Added."), **_ERRORS})
    def post(self, request: Request) -> HttpResponse:
        body = request.body
        if len(body) > MAX_IMPORT_BYTES:
            return status_info(413, "The credential is too large; the limit is 5 MB.")
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/vc+ld+json", "application/ld+json", "text/plain"):
            return status_info(415, "Send the credential as application/json, or its VC-JWT as text/plain.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return status_info(400, "The body is not UTF-8 text.")
        if content_type != "text/plain":
            try:
                json.loads(text)
            except ValueError:
                return status_info(400, "The body is not valid JSON.")
        _, created = services.credential_upsert(user=self.user(), text=text)
        return HttpResponse(body, status=201 if created else 200,
                            content_type="text/plain" if content_type == "text/plain" else "application/json")


class Profile(ObApiView):
    required_alternate_scopes = {"GET": [[scopes.PROFILE_READONLY]], "PUT": [[scopes.PROFILE_UPDATE]]}

    @extend_schema(operation_id="getProfile", summary="The learner's profile",
                   responses={200: OpenApiResponse(response=_PROFILE, description="Profile"), **_ERRORS})
    def get(self, request: Request) -> HttpResponse:
        return JsonResponse(selectors.profile_document(self.user()))

    @extend_schema(operation_id="putProfile", summary="Change the learner's name",
                   description="The whole Profile; its `name` is what changes. A different `email` is refused.",
                   request={"application/json": _PROFILE},
                   responses={200: OpenApiResponse(response=_PROFILE, description="Profile"), **_ERRORS})
    def put(self, request: Request) -> HttpResponse:
        try:
            profile = json.loads(request.body or b"null")
        except ValueError:
            return status_info(400, "The body is not valid JSON.")
        user = services.profile_update(user=self.user(), profile=profile)
        return JsonResponse(selectors.profile_document(user))


# --- the service description (discovery) ----------------------------------------------------------


def oauth_urls() -> dict[str, str]:
    base = settings.PUBLIC_BASE_URL
    return {"registrationUrl": base + reverse("oauth2_provider:dcr-register"),
            "authorizationUrl": base + reverse("oauth2_provider:authorize"),
            "tokenUrl": base + reverse("oauth2_provider:token"),
            "refreshUrl": base + reverse("oauth2_provider:token"),
            "revocationUrl": base + reverse("oauth2_provider:revoke-token")}


class LearnerTokenScheme(OpenApiAuthenticationExtension):
    """``OAuth2ACG``, the spec's name for its authorization code grant, with our endpoints."""

    target_class = "obapi.api.LearnerToken"
    name = "OAuth2ACG"
    priority = 1

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        groups = getattr(auto_schema.view, "required_alternate_scopes", {}).get(auto_schema.method, [])
        return [{self.name: group} for group in groups]

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        urls = oauth_urls()
        return {
            "type": "oauth2", "description": "OAuth 2.0 Authorization Code Grant with PKCE (S256)",
            "x-imssf-name": settings.OBAPI_SERVICE_NAME, "x-imssf-registrationUrl": urls["registrationUrl"],
            "x-imssf-privacyPolicyUrl": settings.OBAPI_PRIVACY_URL,
            "x-imssf-termsOfServiceUrl": settings.OBAPI_TERMS_URL,
            "x-revocationUrl": urls["revocationUrl"],
            "flows": {"authorizationCode": {"authorizationUrl": urls["authorizationUrl"], "tokenUrl": urls["tokenUrl"],
                                            "refreshUrl": urls["refreshUrl"], "scopes": scopes.SCOPES}},
        }


class Discovery(SpectacularAPIView):
    """``GET /ims/ob/v3p0/discovery``: the ServiceDescriptionDocument, the OpenAPI 3 document of this API
    (drf-spectacular, from the views above) with the OAuth 2.0 endpoints and scopes. Public."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [OpenApiJsonRenderer]
    urlconf = "obapi.api_urls"
    custom_settings = {
        "TITLE": "Open Badges 3.0 API",
        "VERSION": "3.0",
        "DESCRIPTION": "The 1EdTech Open Badges 3.0 API of a learner's backpack. A platform registers itself "
                       "(RFC 7591), the learner signs in and consents to named scopes (authorization code with "
                       "PKCE), and the platform reads and adds credentials with the token. Errors are "
                       "Imsx_StatusInfo.",
        "SCHEMA_PATH_PREFIX": PREFIX,
        "SCHEMA_PATH_PREFIX_TRIM": True,
        "COMPONENT_SPLIT_REQUEST": True,
    }

    @extend_schema(operation_id="getServiceDescription", summary="This document",
                   responses={200: OpenApiResponse(description="ServiceDescriptionDocument")}, auth=[])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data["servers"] = [{"url": settings.PUBLIC_BASE_URL + PREFIX}]
        response.data["info"]["termsOfService"] = settings.OBAPI_TERMS_URL
        response.data["info"]["x-imssf-privacyPolicyUrl"] = settings.OBAPI_PRIVACY_URL
        return response
