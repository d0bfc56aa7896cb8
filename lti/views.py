"""LTI 1.3 pages: what the learning platform calls (registration, OIDC login, launch, keys), the pages a
teacher and a learner see inside the course, and the college admin's page under Settings.

The platform's pages open ours in an iframe or a new window, from another site: our session and CSRF
cookies are not sent there. A launch proves itself with the platform's signed id_token (checked by
pylti1p3, its nonce spent once); the deep-linking form that follows carries the launch's id, an
unguessable key to its validated claims in the cache for a short while, instead of a CSRF token.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from csp.constants import SELF
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.registration import Registration

from badges.models import BadgeClass
from issuers.context import Actor, tenant_context
from issuers.http import StaffRequest
from issuers.permissions import admin_only
from issuers.scoping import unscoped
from lti import selectors, services
from lti.models import LtiLink, LtiRegistration
from lti.services import LtiError
from lti.tool import ToolConf, launch_from_cache, message_launch, nonce_spend, oidc_login, registration_for

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _framed(response: HttpResponse, *, platform: str, form_to: str = "") -> HttpResponse:
    """Our page inside the platform's: framed by it alone, posting forms to it only where it must."""
    response._csp_replace = {  # type: ignore[attr-defined]
        "frame-ancestors": [SELF, _origin(platform)],
        "form-action": [SELF, _origin(form_to)] if form_to else [SELF]}
    return response


def _refusal(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    response = render(request, "lti/refused.html", {"message": message}, status=status)
    response._csp_replace = {"frame-ancestors": ["*"]}  # type: ignore[attr-defined]  # says only why
    return response


# --- what the platform calls ------------------------------------------------------------------------


@xframe_options_exempt
def register(request: HttpRequest, token: str) -> HttpResponse:
    """LTI Dynamic Registration: the platform opens the college's registration URL with its configuration."""
    try:
        tenant = services.registration_url_tenant(token)
        registration = services.registration_create(
            tenant=tenant, openid_configuration=request.GET.get("openid_configuration", ""),
            registration_token=request.GET.get("registration_token", ""))
    except LtiError as exc:
        return _refusal(request, str(exc), status=400)
    response = render(request, "lti/registered.html", {"registration": registration, "tenant": tenant})
    response._csp_replace = {"frame-ancestors": ["*"]}  # type: ignore[attr-defined]  # any admin's platform
    return response


def jwks(request: HttpRequest, public_id: str) -> JsonResponse:
    """The tool's public key for one registration, which the platform checks our signatures with."""
    with unscoped("a platform fetches the public key of its registration by the registration's id"):
        registration = get_object_or_404(LtiRegistration, public_id=public_id)
    return JsonResponse({"keys": [dict(Registration.get_jwk(registration.public_key_pem))]})


@csrf_exempt
@xframe_options_exempt
def login(request: HttpRequest, public_id: str) -> HttpResponse:
    """OIDC third-party-initiated login: send the browser back to the platform to sign the launch."""
    with unscoped("an OIDC login comes to the login URL of one registration, by its id"):
        registration = LtiRegistration.objects.filter(public_id=public_id).select_related("tenant").first()
    if registration is None:
        return _refusal(request, "This LTI tool is not registered any more.", status=404)
    target = request.POST.get("target_link_uri") or request.GET.get("target_link_uri") or ""
    if _origin(target) != _origin(settings.PUBLIC_BASE_URL):
        return _refusal(request, "The platform asked to open a page that is not Badge Platform's.", status=400)
    try:
        return oidc_login(request, ToolConf(registration)).redirect(target)
    except (OIDCException, LtiException) as exc:
        return _refusal(request, f"The platform's login request was refused: {exc}", status=400)


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    conf = ToolConf()
    found = message_launch(request, conf)
    try:
        claims = found.get_launch_data()
    except LtiException as exc:
        return _refusal(request, f"This launch could not be checked, so it was refused: {exc}")
    except (ValueError, TypeError, KeyError, AttributeError):  # a token whose parts are not what LTI says
        return _refusal(request, "This launch could not be checked, so it was refused: its token is malformed.")
    registration = conf.registration
    if registration is None:
        return _refusal(request, "This platform is not registered with Badge Platform.")
    if not nonce_spend(str(claims.get("nonce"))):
        return _refusal(request, "This launch was already used. Open the activity again from your course.")
    person = str(claims.get("name") or claims.get("email") or claims.get("sub") or "")
    with tenant_context(registration.tenant, Actor(system=f"LTI {registration.name}: {person}")):
        if found.is_deep_link_launch():
            return _picker(request, found, registration, claims)
        if found.is_resource_launch():
            return _resource(request, found, registration, claims)
    return _refusal(request, "Badge Platform does not take this kind of LTI message.", status=400)


def _teacher(found: Any) -> bool:
    return bool(found.check_teacher_access() or found.check_staff_access() or found.check_designer_access())


def _picker(request: HttpRequest, found: Any, registration: LtiRegistration, claims: Any,
            *, errors: list[str] | None = None, values: dict | None = None) -> HttpResponse:
    platform = registration.issuer
    if not _teacher(found):
        return _framed(_refusal(request, "Only the course's teachers choose its badge."), platform=platform)
    lineitems: list[dict] = []
    errors = list(errors or [])
    lineitems_url = (claims.get(AGS) or {}).get("lineitems")
    if lineitems_url:
        try:
            lineitems = services.course_lineitems(registration=registration, lineitems_url=lineitems_url)
        except LtiError as exc:
            errors.append(str(exc))
    badges = BadgeClass.objects.filter(tenant=registration.tenant, retired_at=None).select_related("issuer")
    context = {"launch_id": found.get_launch_id(), "course": claims.get(CONTEXT) or {}, "badges": badges,
               "lineitems": lineitems, "errors": errors, "values": values or {"rule": "completed", "min_score": 50},
               "registration": registration}
    return _framed(render(request, "lti/picker.html", context), platform=platform)


@csrf_exempt
@xframe_options_exempt
@require_POST
def deep_link(request: HttpRequest) -> HttpResponse:
    """The teacher's choice in the picker: record the link and hand the platform its resource link."""
    conf = ToolConf()
    try:
        found = launch_from_cache(request.POST.get("launch_id", ""), request, conf)
        claims = found.get_launch_data()
    except LtiException:
        return _refusal(request, "This page has expired. Open the badge picker again from your course.")
    if not claims or not found.is_deep_link_launch():
        return _refusal(request, "This page has expired. Open the badge picker again from your course.")
    registration = registration_for(claims["iss"], found.get_client_id())
    if registration is None:
        return _refusal(request, "This platform is not registered with Badge Platform.")
    values = {k: request.POST.get(k, "") for k in ("badge", "lineitem", "rule", "min_score", "new_name",
                                                    "new_description")}
    with tenant_context(registration.tenant, Actor(system=f"LTI {registration.name}")):
        if not _teacher(found):
            return _refusal(request, "Only the course's teachers choose its badge.")
        try:
            link = _link_from_form(found, registration, claims, values)
        except ValidationError as exc:
            return _picker(request, found, registration, claims, errors=exc.messages, values=values)
    resource = DeepLinkResource().set_url(services.absolute(reverse("lti:launch"))).set_title(link.badge_class.name)
    resource.set_custom_params({"badge_link": str(link.public_id)})
    deep = found.get_deep_link()
    return_url = str(claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings", {})
                     .get("deep_link_return_url", ""))
    response = render(request, "lti/deep_link_return.html", {
        "jwt": deep.get_response_jwt([resource]), "return_url": return_url, "link": link})
    return _framed(response, platform=registration.issuer, form_to=return_url)


def _link_from_form(found: Any, registration: LtiRegistration, claims: Any, values: dict) -> LtiLink:
    teacher = str(claims.get("name") or claims.get("email") or claims.get("sub") or "")
    lineitems_url = (claims.get(AGS) or {}).get("lineitems") or ""
    items = services.course_lineitems(registration=registration, lineitems_url=lineitems_url) if lineitems_url else []
    lineitem = next((item for item in items if item.get("id") == values["lineitem"]), None)
    if lineitem is None:
        raise ValidationError("Choose the activity whose result earns the badge.")
    try:
        min_score = int(values["min_score"] or 0)
    except ValueError as exc:
        raise ValidationError("The score must be a whole percentage, such as 70.") from exc
    if values["rule"] == LtiLink.Rule.SCORE and not 0 < min_score <= 100:
        raise ValidationError("The score must be a percentage from 1 to 100.")
    if values["badge"] == "new":
        with transaction.atomic():
            badge = services.link_badge_create(
                registration=registration, name=values["new_name"], description=values["new_description"],
                course=str((claims.get(CONTEXT) or {}).get("title") or ""), teacher=teacher)
            return _link_create(registration, claims, values, badge, min_score, lineitem, teacher)
    chosen = BadgeClass.objects.filter(tenant=registration.tenant, public_id__in=[values["badge"]]
                                       if _is_uuid(values["badge"]) else []).first()
    if chosen is None:
        raise ValidationError("Choose one of your college's badges.")
    return _link_create(registration, claims, values, chosen, min_score, lineitem, teacher)


def _link_create(registration: LtiRegistration, claims: Any, values: dict, badge: BadgeClass, min_score: int,
                 lineitem: dict, teacher: str) -> LtiLink:
    return services.link_create(
        registration=registration, deployment_id=str(claims.get(DEPLOYMENT) or ""), context=claims.get(CONTEXT) or {},
        badge_class=badge, rule=values["rule"], min_score=min_score, lineitem=lineitem,
        memberships_url=str((claims.get(NRPS) or {}).get("context_memberships_url") or ""), teacher=teacher)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _resource(request: HttpRequest, found: Any, registration: LtiRegistration, claims: Any) -> HttpResponse:
    """A launch of a placed badge: run its rule now, then show the teacher the course, a learner their own."""
    link_id = str((claims.get(CUSTOM) or {}).get("badge_link") or "")
    link = LtiLink.objects.filter(registration=registration, public_id__in=[link_id] if _is_uuid(link_id) else []
                                  ).select_related("badge_class", "registration").first()
    if link is None:
        return _framed(_refusal(request, "This link does not name a badge of this college. Ask the teacher to "
                                         "choose the badge again."), platform=registration.issuer)
    error, rows = "", []
    try:
        rows = services.link_sync(link=link)
    except LtiError as exc:
        error = str(exc)
    context = {"link": link, "error": error}
    if _teacher(found):
        context |= {"rows": rows, "holders": sum(r.has_badge for r in rows), "close": sum(r.close for r in rows)}
        return _framed(render(request, "lti/teacher.html", context), platform=registration.issuer)
    me = next((r for r in rows if r.user_id == str(claims.get("sub"))), None)
    return _framed(render(request, "lti/learner.html", context | {"me": me}), platform=registration.issuer)


# --- the college admin's page, under Settings -----------------------------------------------------------


@admin_only
def registrations(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    return render(request, "lti/registrations.html", {
        "registrations": selectors.registrations_of(request.membership),
        "registration_url": services.registration_url(tenant=request.tenant),
        "days": settings.LTI_REGISTRATION_URL_DAYS})


@admin_only
def registration(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    found = get_object_or_404(selectors.registrations_of(request.membership), public_id=public_id)
    return render(request, "lti/registration.html", {"registration": found, "links": selectors.links_of(found)})


@admin_only
@require_POST
def registration_toggle(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    found = get_object_or_404(selectors.registrations_of(request.membership), public_id=public_id)
    if found.disabled_at is None:
        services.registration_disable(registration=found, actor=request.user)
        messages.success(request, f"{found.name} is turned off: its launches are refused and its badges wait.")
    else:
        services.registration_enable(registration=found, actor=request.user)
        messages.success(request, f"{found.name} is turned on again.")
    return redirect("lti:registration", tenant_slug=tenant_slug, public_id=public_id)
