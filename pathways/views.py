"""Pathway and cohort pages for staff, and the public pathway page for employers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from assertions.bulk import rows_from_csv, rows_from_lines
from assertions.selectors import bulk_jobs_of
from badges.models import BadgeClass
from issuers.http import StaffRequest
from issuers.models import Role
from issuers.permissions import ANY_STAFF, CAN_ISSUE, admin_only, role_required
from issuers.scoping import unscoped
from pathways import requirements, services
from pathways.forms import CohortForm, PathwayForm
from pathways.models import Pathway
from pathways.selectors import cohorts_of, completions_of, pathways_of, requirement_names


@role_required(*ANY_STAFF)
def pathway_list(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    pathways = list(pathways_of(request.membership))
    for p in pathways:
        # An extra attribute for the template only; the model has no such field.
        p.described = requirements.describe(p.requirements, requirement_names(p))  # type: ignore[attr-defined]
    return render(request, "pathways/list.html", {"pathways": pathways})


@role_required(Role.ADMIN)
def pathway_new(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = PathwayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pathway = services.pathway_create(tenant=request.tenant, name=data["name"],
                                              description=data["description"], tree=data["tree"],
                                              capstone=data["capstone"], actor=request.user,
                                              retro_award=data["retro_award"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Pathway “{pathway.name}” created.")
            return redirect("pathways:detail", tenant_slug=tenant_slug, public_id=pathway.public_id)
    return render(request, "pathways/new.html", {"form": form})


@role_required(*ANY_STAFF)
def pathway_detail(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    pathway = get_object_or_404(pathways_of(request.membership), public_id=public_id)
    names = requirement_names(pathway)
    cohorts = list(cohorts_of(request.membership))
    cohort = next((c for c in cohorts if str(c.public_id) == request.GET.get("cohort")), None)
    return render(request, "pathways/detail.html", {
        "pathway": pathway,
        "described": requirements.describe(pathway.requirements, names),
        "badges": BadgeClass.objects.filter(public_id__in=names.keys()).order_by("name"),
        "completions": pathway.completions.select_related("capstone")[:200],
        "flagged": pathway.completions.exclude(flagged_at=None).select_related("capstone"),
        "cohorts": cohorts, "cohort": cohort,
        "cohort_rows": services.cohort_progress(cohort=cohort, pathway=pathway) if cohort else None,
        "retro_running": pathway.retro_status != "done",
    })


@require_POST
@admin_only
def completion_resolve(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    completion = get_object_or_404(completions_of(request.membership).select_related("pathway", "capstone"),
                                   public_id=public_id)
    try:
        services.pathway_flag_resolve(completion=completion, revoke_capstone=request.POST.get("decision") == "revoke",
                                      actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Decision recorded.")
    return redirect("pathways:detail", tenant_slug=tenant_slug, public_id=completion.pathway.public_id)


@role_required(*ANY_STAFF)
def cohort_list(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = CohortForm(request.POST or None, request.FILES or None, membership=request.membership)
    if request.method == "POST":
        if request.membership.role not in CAN_ISSUE:
            raise PermissionDenied("Viewers cannot create cohorts.")
        if form.is_valid():
            try:
                upload = form.cleaned_data.get("file")
                rows = rows_from_csv(upload.read()) if upload else rows_from_lines(form.cleaned_data["emails"])
                cohort = services.cohort_create(tenant=request.tenant, name=form.cleaned_data["name"],
                                                members=[(r.email, r.name) for r in rows],
                                                issuer=form.cleaned_data.get("issuer"), actor=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Cohort “{cohort.name}” saved with {cohort.members.count()} learners.")
                return redirect("pathways:cohort", tenant_slug=tenant_slug, public_id=cohort.public_id)
    return render(request, "pathways/cohorts.html", {"form": form, "cohorts": cohorts_of(request.membership)})


@require_POST
@role_required(*CAN_ISSUE)
def cohort_from_job(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """Save the learners of a finished cohort award as a cohort to follow."""
    job = get_object_or_404(bulk_jobs_of(request.membership), public_id=public_id)
    try:
        cohort = services.cohort_from_job(job=job, name=request.POST.get("name", ""), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("assertions:job", tenant_slug=tenant_slug, public_id=job.public_id)
    messages.success(request, f"Cohort “{cohort.name}” saved with {cohort.members.count()} learners.")
    return redirect("pathways:cohort", tenant_slug=tenant_slug, public_id=cohort.public_id)


@role_required(*ANY_STAFF)
def cohort_detail(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    cohort = get_object_or_404(cohorts_of(request.membership), public_id=public_id)
    pathways = list(pathways_of(request.membership))
    pathway = next((p for p in pathways if str(p.public_id) == request.GET.get("pathway")), None)
    return render(request, "pathways/cohort.html", {
        "cohort": cohort, "members": cohort.members.all(), "pathways": pathways, "pathway": pathway,
        "rows": services.cohort_progress(cohort=cohort, pathway=pathway) if pathway else None,
    })


@require_safe
def public_pathway(request: HttpRequest, public_id: str) -> HttpResponse:
    """What a pathway is made of, for employers. Public, read-only, no learner data."""
    with unscoped("public pathway page: what a college's pathway is made of, readable by anyone"):
        pathway = Pathway.objects.select_related("tenant", "capstone").filter(public_id=public_id).first()
        if pathway is None:
            raise Http404("No such pathway.")
        names = requirement_names(pathway)
        badges = list(BadgeClass.objects.filter(public_id__in=names.keys()).order_by("name"))
        return render(request, "pathways/public.html", {
            "pathway": pathway, "badges": badges, "tenant": pathway.tenant,
            "described": requirements.describe(pathway.requirements, names),
        })
