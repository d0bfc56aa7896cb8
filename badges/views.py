"""Staff pages to create, edit and retire badge classes. Thin: the services hold the rules.

Admins may manage every badge class; issuer-role members those of their issuers; viewers none.
Objects are looked up by public id inside the tenant scope, among the member's issuers (404 otherwise).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from badges import designer, services
from badges.forms import BadgeClassForm
from badges.images import ImageRejected, validate_badge_image
from badges.models import BadgeClass
from badges.selectors import badge_classes_of, may_issue_for
from issuers.http import StaffRequest
from issuers.models import Issuer, Role
from issuers.permissions import CAN_ISSUE, role_required
from issuers.selectors import membership_issuers


def _manageable(request: StaffRequest, public_id: str) -> BadgeClass:
    badge = get_object_or_404(badge_classes_of(request.membership), public_id=public_id)
    if not may_issue_for(request.membership, badge.issuer):
        raise PermissionDenied("Your role does not allow changing this badge.")
    return badge


def _issuers(request: StaffRequest) -> QuerySet[Issuer]:
    issuers = membership_issuers(request.membership)
    return issuers if request.membership.role in (Role.ADMIN, Role.ISSUER) else issuers.none()


def _save_errors(form: BadgeClassForm, exc: ValidationError | ImageRejected) -> None:
    if isinstance(exc, ImageRejected):
        form.add_error("image", f"This image cannot be used: {exc}")
        return
    error_dict = getattr(exc, "error_dict", None)
    if error_dict:
        for field, errors in error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _design_query(form: BadgeClassForm) -> str:
    """The designer's current choices as the preview's query (what the page opens with)."""
    return urlencode({name: form[f"design_{name}"].value() or "" for name in designer.FIELDS})


@role_required(*CAN_ISSUE)
def badge_create(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = BadgeClassForm(data, request.FILES or None, issuers=_issuers(request),
                          default_colour=request.tenant.primary_colour)
    if request.method == "POST" and form.is_valid():
        try:
            badge = services.badge_class_create(issuer=form.cleaned_data["issuer"], actor=request.user,
                                                **form.changes())
        except (ValidationError, ImageRejected) as exc:
            _save_errors(form, exc)
        else:
            messages.success(request, f"{badge.name} is ready to award.")
            return redirect("assertions:badge", tenant_slug=tenant_slug, public_id=badge.public_id)
    return render(request, "badges/badge_form.html", {"form": form, "badge": None, "design_query": _design_query(form)})


@role_required(*CAN_ISSUE)
def badge_edit(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    badge = _manageable(request, public_id)
    if badge.retired_at is not None:
        messages.error(request, f"{badge.name} is retired and can no longer be edited.")
        return redirect("assertions:badge", tenant_slug=tenant_slug, public_id=badge.public_id)
    data = request.POST if request.method == "POST" else None
    form = BadgeClassForm(data, request.FILES or None, issuers=_issuers(request), badge=badge,
                          default_colour=request.tenant.primary_colour)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.badge_class_update(badge_class=badge, actor=request.user, **form.changes())
        except (ValidationError, ImageRejected) as exc:
            _save_errors(form, exc)
        else:
            if saved.pk != badge.pk:
                messages.success(request, f"{saved.name} has been awarded before, so your changes made a new version. "
                                          "Learners who already hold it keep the old one; new awards use this one.")
            else:
                messages.success(request, f"{saved.name} saved.")
            return redirect("assertions:badge", tenant_slug=tenant_slug, public_id=saved.public_id)
    return render(request, "badges/badge_form.html",
                  {"form": form, "badge": badge, "design_query": _design_query(form)})


@role_required(*CAN_ISSUE)
@require_safe
def design_preview(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    """The designer's live preview: the SVG our code draws from the choices in the query, through the same
    checks as an upload, exactly as it will be saved."""
    try:
        design = designer.design_from({k: request.GET.get(k, "") for k in designer.FIELDS},
                                      default_colour=request.tenant.primary_colour)
        _, svg = validate_badge_image(designer.design_svg(design))
    except (ValidationError, ImageRejected) as exc:
        return HttpResponse(" ".join(getattr(exc, "messages", [str(exc)])), status=400,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@role_required(*CAN_ISSUE)
@require_POST
def badge_retire(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    badge = _manageable(request, public_id)
    try:
        services.badge_class_retire(badge_class=badge, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{badge.name} is retired: no new awards. Badges already awarded stay valid.")
    return redirect("assertions:badge", tenant_slug=tenant_slug, public_id=badge.public_id)
