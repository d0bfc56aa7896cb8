"""The platform console (``/platform/``): platform staff only (superusers), with TOTP set up. Thin: the
services and selectors do the work."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from console import selectors, services
from console.forms import CollegeCreateForm, LimitsForm, OffboardForm, StatusForm
from console.models import Offboarding
from issuers.csvexport import csv_response
from issuers.http import StaffRequest
from issuers.models import Role, Tenant
from issuers.permissions import role_required
from issuers.selectors import user_has_mfa
from issuers.services import tenant_create, tenant_set_limits, tenant_set_status
from sso import selectors as sso_selectors
from sso import services as sso_services


def platform_staff(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Platform staff only: a superuser, who has set up TOTP (sent to set it up first). Everyone else
    signed in gets 403, and a visitor the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")
        if not (user.is_active and user.is_superuser):
            return render(request, "console/refused.html", status=403)
        if not user_has_mfa(user):
            messages.info(request, "The platform console needs two-factor authentication: set it up first.")
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper


@platform_staff
def colleges(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    form = CollegeCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            setup = tenant_create(slug=data["slug"], name=data["name"], admin_email=data["admin_email"],
                                  timezone_name=data["timezone"], first_issuer=True, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            sent = f"An invitation is on its way to {data['admin_email']}." if setup.invitation_url else (
                f"{data['admin_email']} is its admin.")
            messages.success(request, f"{setup.tenant.name} created with its first issuer profile. {sent}")
            return redirect("console:college", public_id=setup.tenant.public_id)
    return render(request, "console/colleges.html", {
        "rows": selectors.colleges_with_usage(query), "query": query, "form": form})


@platform_staff
def colleges_csv(request: HttpRequest) -> HttpResponse:
    rows = selectors.colleges_with_usage(request.GET.get("q", ""))
    return csv_response("colleges-usage.csv", ["college", "slug", "status", "month", "badges", "learners", "emails",
                                               "verifications", "storage_bytes"],
                        ([r.tenant.name, r.tenant.slug, r.tenant.status, r.usage.month.isoformat(), r.usage.badges,
                          r.usage.learners, r.usage.emails, r.usage.verifications,
                          r.storage_bytes if r.storage_bytes is not None else ""] for r in rows))


def _college(public_id: str) -> Tenant:
    return get_object_or_404(Tenant, public_id=public_id)


@platform_staff
def college(request: HttpRequest, public_id: str) -> HttpResponse:
    tenant = _college(public_id)
    return render(request, "console/college.html", {
        "tenant": tenant, "usage": selectors.usage_by_month(tenant=tenant), "storage": selectors.storage_of(tenant),
        "status_form": StatusForm(),
        "limits_form": LimitsForm(initial={"limit_badges_per_month": tenant.limit_badges_per_month,
                                           "limit_learners_per_year": tenant.limit_learners_per_year}),
        "offboard_form": OffboardForm(tenant=tenant),
        "offboardings": Offboarding.objects.filter(tenant=tenant),
    })


@platform_staff
def college_usage_csv(request: HttpRequest, public_id: str) -> HttpResponse:
    tenant = _college(public_id)
    return csv_response(f"{tenant.slug}-usage.csv", ["month", "badges", "learners", "emails", "verifications"],
                        ([u.month.isoformat(), u.badges, u.learners, u.emails, u.verifications]
                         for u in selectors.usage_by_month(tenant=tenant)))


@platform_staff
@require_POST
def college_status(request: HttpRequest, public_id: str) -> HttpResponse:
    tenant = _college(public_id)
    form = StatusForm(request.POST)
    status = Tenant.Status.ACTIVE if tenant.status == Tenant.Status.SUSPENDED else Tenant.Status.SUSPENDED
    if not form.is_valid():
        messages.error(request, "Give a reason: the college's staff see it.")
    else:
        tenant_set_status(tenant=tenant, status=status, reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(request, f"{tenant.name} is now {tenant.get_status_display().lower()}.")
    return redirect("console:college", public_id=tenant.public_id)


@platform_staff
@require_POST
def college_limits(request: HttpRequest, public_id: str) -> HttpResponse:
    tenant = _college(public_id)
    form = LimitsForm(request.POST)
    if form.is_valid():
        tenant_set_limits(tenant=tenant, badges_per_month=form.cleaned_data["limit_badges_per_month"],
                          learners_per_year=form.cleaned_data["limit_learners_per_year"], actor=request.user)
        messages.success(request, f"Limits of {tenant.name} saved.")
    else:
        messages.error(request, "A limit is a whole number of 0 or more, or empty for no limit.")
    return redirect("console:college", public_id=tenant.public_id)


@platform_staff
@require_POST
def college_offboard(request: HttpRequest, public_id: str) -> HttpResponse:
    tenant = _college(public_id)
    form = OffboardForm(request.POST, tenant=tenant)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("console:college", public_id=tenant.public_id)
    try:
        offboarding = services.offboarding_start(tenant=tenant, grace_days=form.cleaned_data["grace_days"],
                                                 actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{tenant.name} is suspended and its archive is being built; it will be deleted "
                                  f"after {offboarding.delete_after:%-d %B %Y}.")
    return redirect("console:college", public_id=tenant.public_id)


@platform_staff
@require_POST
def offboarding_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    offboarding = get_object_or_404(Offboarding, public_id=public_id)
    try:
        services.offboarding_cancel(offboarding=offboarding, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The deletion of {offboarding.college_name} is cancelled; re-activate it to "
                                  "let its staff work again.")
    if offboarding.tenant is None:
        return redirect("console:colleges")
    return redirect("console:college", public_id=offboarding.tenant.public_id)


@platform_staff
@require_POST
def offboarding_retry(request: HttpRequest, public_id: str) -> HttpResponse:
    offboarding = get_object_or_404(Offboarding, public_id=public_id, status=Offboarding.Status.FAILED)
    services.offboarding_retry(offboarding=offboarding)
    messages.success(request, f"The archive of {offboarding.college_name} is being built again.")
    return redirect("console:college", public_id=offboarding.tenant.public_id) if offboarding.tenant else redirect(
        "console:colleges")


@platform_staff
def offboarding_archive(request: HttpRequest, public_id: str) -> FileResponse:
    offboarding = get_object_or_404(Offboarding, public_id=public_id, status__in=[Offboarding.Status.READY,
                                                                                  Offboarding.Status.DELETED])
    path = services.archive_path(offboarding)
    if not offboarding.archive_name or not path.exists():
        raise Http404("The archive is not there.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=offboarding.archive_name)


@platform_staff
def domains(request: HttpRequest) -> HttpResponse:
    """Email domains colleges claim for their single sign-on, waiting for the platform's approval."""
    return render(request, "console/domains.html", {"claims": sso_selectors.domain_claims_waiting()})


@platform_staff
@require_POST
def domain_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    claim = sso_selectors.domain_claim(public_id)
    if claim is None:
        raise Http404("No such domain claim.")
    approve = request.POST.get("decision") == "approve"
    try:
        sso_services.email_domain_decide(claim=claim, approve=approve, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{claim.domain} {'approved' if approve else 'refused'} for {claim.tenant.name}.")
    return redirect("console:domains")


@platform_staff
def health(request: HttpRequest) -> HttpResponse:
    return render(request, "console/health.html", {"health": selectors.platform_health()})


@role_required(Role.ADMIN)
def setup(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    """A new college's first hour: the first admin's checklist, ticked from the college's data."""
    steps = selectors.setup_checklist(tenant=request.tenant)
    required = [s for s in steps if not s.optional]
    return render(request, "console/setup.html", {
        "steps": steps, "done": sum(s.done for s in required), "total": len(required)})
