"""The tutor's pages: the dashboard, award in two clicks, an award's live status and its actions,
cohort awards (paste or CSV → preview → issue in the background).

Thin views over ``assertions.services`` and ``assertions.bulk``. Everything under ``/t/<tenant_slug>/``
runs in the tenant's scope; objects are looked up by public id among the badge classes of the issuers
the member may use (404 otherwise); viewers read, only admins and issuers act.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assertions import bulk, links, selectors, services
from assertions.documents import public_url
from assertions.forms import AwardForm, CohortForm, CorrectAddressForm, ErasureForm, RevokeForm
from assertions.models import Assertion, BulkJob
from badges.models import BadgeClass
from badges.selectors import badge_classes_of, badge_classes_visible, may_issue_for
from issuers.csvexport import csv_response
from issuers.http import StaffRequest
from issuers.models import Role
from issuers.permissions import ANY_STAFF, CAN_ISSUE, role_required
from issuers.selectors import membership_issuers

SAMPLE_ROWS = 5


def _badge(request: StaffRequest, public_id: str) -> BadgeClass:
    return get_object_or_404(badge_classes_of(request.membership), public_id=public_id)


def _assertion(request: StaffRequest, public_id: str) -> Assertion:
    return get_object_or_404(selectors.assertions_of(request.membership), public_id=public_id)


def _job(request: StaffRequest, public_id: str) -> BulkJob:
    return get_object_or_404(selectors.bulk_jobs_of(request.membership), public_id=public_id)


def _require_issue(request: StaffRequest, badge: BadgeClass) -> None:
    if not may_issue_for(request.membership, badge.issuer):
        raise PermissionDenied("Your role does not allow awarding this badge.")


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- Dashboard and a badge's page ------------------------------------------------------------------


@role_required(*ANY_STAFF)
def dashboard(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    """The tenant's landing page: the badges this member may use, with their counts."""
    search = request.GET.get("q", "")[:100]
    badges = selectors.badge_classes_with_counts(badge_classes_visible(request.membership, search=search))
    membership = request.membership
    context = {
        "badges": [(b, may_issue_for(membership, b.issuer)) for b in badges],
        "latest": selectors.latest_awards(membership),
        "attention": selectors.awards_needing_attention(membership),
        "search": search,
        "can_create": membership.role in CAN_ISSUE and membership_issuers(membership).exists(),
        "issuers": membership_issuers(membership),
    }
    return render(request, "assertions/dashboard.html", context)


@role_required(*ANY_STAFF)
def learners(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    """Find a learner by email or name across every badge of the college this member may use."""
    search = request.GET.get("q", "")[:100].strip()
    found = selectors.learner_awards(request.membership, search=search) if search else []
    return render(request, "assertions/learners.html", {"search": search, "learners": found,
                                                         "too_short": 0 < len(search) < 2})


@role_required(*ANY_STAFF)
def badge_detail(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    badge = _badge(request, public_id)
    (counted,) = selectors.badge_classes_with_counts(BadgeClass.objects.filter(pk=badge.pk))
    search = request.GET.get("q", "")[:100]
    context = {
        "badge": counted,
        "can_issue": may_issue_for(request.membership, badge.issuer),
        "awards": selectors.badge_awards(badge, search=search),
        "jobs": selectors.badge_jobs(badge),
        "search": search,
        "public_url": public_url("badges", badge.public_id),
    }
    return render(request, "assertions/badge_detail.html", context)


# --- One learner ---------------------------------------------------------------------------------


@role_required(*CAN_ISSUE)
def award(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    badge = _badge(request, public_id)
    _require_issue(request, badge)
    form = AwardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recipient = services.Recipient(
                identity=data["email"], name=data["name"], issued_on=data["issued_on"],
                evidence=tuple(form.evidence()), narrative=data["narrative"],
            )
            (assertion,) = services.assertion_issue(badge_class=badge, recipients=[recipient], actor=request.user,
                                                    allow_duplicate=data["allow_duplicate"])
        except services.AlreadyHolds as exc:
            form.add_error(None, f"{_errors(exc)} Tick “Award it again” to give them a second one.")
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        except services.LimitReached as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{badge.name} awarded to {assertion.recipient_name}.")
            return redirect("assertions:assertion", tenant_slug=tenant_slug, public_id=assertion.public_id)
    return render(request, "assertions/award.html", {"badge": badge, "form": form})


@role_required(*ANY_STAFF)
def assertion_detail(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    assertion = _assertion(request, public_id)
    can_act = may_issue_for(request.membership, assertion.badge_class.issuer)
    context = {
        "assertion": assertion,
        "badge": assertion.badge_class,
        "status": selectors.assertion_steps(assertion),
        "public_url": links.verify_url(assertion),
        "can_act": can_act,
        "revoke_form": RevokeForm(),
        "correct_form": CorrectAddressForm(initial={"name": assertion.recipient_name}),
        "replaced_by": getattr(assertion, "replaced_by", None) if assertion.revoked else None,
        "revocation_mail": assertion.revocation_mail,
    }
    return render(request, "assertions/assertion_detail.html", context)


@role_required(*ANY_STAFF)
def assertion_status(request: StaffRequest, tenant_slug: str, public_id: str) -> JsonResponse:
    return JsonResponse(selectors.assertion_steps(_assertion(request, public_id)))


def _acting_on(request: StaffRequest, public_id: str) -> Assertion:
    assertion = _assertion(request, public_id)
    _require_issue(request, assertion.badge_class)
    return assertion


@role_required(*CAN_ISSUE)
@require_POST
def assertion_revoke(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    assertion = _acting_on(request, public_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for revoking: learners and employers see it.")
    else:
        try:
            services.assertion_revoke(assertion=assertion, reason=form.cleaned_data["reason"], actor=request.user,
                                      notify_learner=form.cleaned_data["notify_learner"])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            told = (f" {assertion.recipient_identity} is being emailed the reason."
                    if assertion.revocation_mail_id else "")
            messages.success(request, f"The badge is revoked. Anyone checking it now sees the reason.{told}")
    return redirect("assertions:assertion", tenant_slug=tenant_slug, public_id=assertion.public_id)


@role_required(*CAN_ISSUE)
@require_POST
def assertion_resend(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    assertion = _acting_on(request, public_id)
    try:
        services.assertion_resend_email(assertion=assertion, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"The email is on its way to {assertion.recipient_identity} again.")
    return redirect("assertions:assertion", tenant_slug=tenant_slug, public_id=assertion.public_id)


@role_required(*CAN_ISSUE)
@require_POST
def assertion_correct(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    assertion = _acting_on(request, public_id)
    form = CorrectAddressForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the correct email address, e.g. name@example.org.")
        return redirect("assertions:assertion", tenant_slug=tenant_slug, public_id=assertion.public_id)
    try:
        corrected = services.assertion_correct_recipient(
            assertion=assertion, recipient_identity=form.cleaned_data["email"],
            recipient_name=form.cleaned_data["name"] or None, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("assertions:assertion", tenant_slug=tenant_slug, public_id=assertion.public_id)
    messages.success(request, f"Sent to {corrected.recipient_identity} instead. The award to "
                              f"{assertion.recipient_identity} is revoked as sent to the wrong address.")
    return redirect("assertions:assertion", tenant_slug=tenant_slug, public_id=corrected.public_id)


# --- A learner's erasure request ------------------------------------------------------------------


@role_required(Role.ADMIN, hidden=True)
def erasure(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    """Find the college's awards to an address; on confirmation, withdraw or delete every one of them."""
    form = ErasureForm(request.POST or request.GET or None)
    awards: list[Assertion] = []
    if form.is_valid():
        awards = list(selectors.assertions_of(request.membership).filter(
            recipient_identity=form.cleaned_data["email"].strip().lower()).order_by("-issued_on"))
        action = form.cleaned_data["action"]
        if request.method == "POST" and awards:
            if not action or not form.cleaned_data["confirm"]:
                messages.error(request, "Choose withdraw or delete, and confirm it is the learner's request.")
            else:
                for award in awards:
                    services.assertion_erase(assertion=award, delete=action == "delete", actor=request.user)
                done = "deleted" if action == "delete" else "withdrawn"
                messages.success(request, f"{len(awards)} award{'s' if len(awards) != 1 else ''} {done}.")
                return redirect("assertions:erasure", tenant_slug=tenant_slug)
    return render(request, "assertions/erasure.html", {"form": form, "awards": awards})


# --- A cohort ------------------------------------------------------------------------------------


@role_required(*CAN_ISSUE)
def cohort(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """Paste or upload → the preview of every problem (a job waiting for confirmation) → issue."""
    badge = _badge(request, public_id)
    _require_issue(request, badge)
    form = CohortForm(request.POST if request.method == "POST" else None, request.FILES or None)
    problems = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            if upload:
                rows, source, filename = bulk.rows_from_csv(upload.read()), "csv", upload.name
            else:
                rows, source, filename = bulk.rows_from_lines(form.cleaned_data["emails"]), "paste", ""
            preview = bulk.bulk_preview(badge_class=badge, rows=rows)
            existing = bulk.bulk_job_find(badge_class=badge, preview=preview)
            if existing is not None:
                messages.info(request, "You have already submitted this list: here is that job. Nothing was "
                                       "issued twice.")
                return redirect("assertions:job", tenant_slug=tenant_slug, public_id=existing.public_id)
            if not preview.good:
                problems = preview.problems
                raise ValidationError("No row can be issued: every row has a problem. Fix them and try again.")
            job, created = bulk.bulk_job_create(badge_class=badge, preview=preview, source=source,
                                                filename=filename, actor=request.user, issue_now=False)
        except ValidationError as exc:
            form.add_error("file" if form.cleaned_data.get("file") else "emails", _errors(exc))
        else:
            if not created:
                messages.info(request, "You have already submitted this list: here is that job.")
            return redirect("assertions:job", tenant_slug=tenant_slug, public_id=job.public_id)
    return render(request, "assertions/cohort.html", {"badge": badge, "form": form, "problems": problems})


@role_required(*ANY_STAFF)
def job_detail(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    job = _job(request, public_id)
    context = {
        "job": job,
        "badge": job.badge_class,
        "good": len(job.rows),
        # A few good rows as they will be issued, so swapped columns (names in the email column, a date
        # read as a name) show before anything is issued.
        "sample": job.rows[:SAMPLE_ROWS] if job.status == BulkJob.Status.PREVIEW else [],
        "progress": selectors.job_progress(job),
        "can_issue": may_issue_for(request.membership, job.badge_class.issuer),
        "problems": job.errors,
    }
    template = "assertions/job_preview.html" if job.status == BulkJob.Status.PREVIEW else "assertions/job.html"
    return render(request, template, context)


@role_required(*ANY_STAFF)
def job_status(request: StaffRequest, tenant_slug: str, public_id: str) -> JsonResponse:
    return JsonResponse(selectors.job_progress(_job(request, public_id)))


@role_required(*CAN_ISSUE)
@require_POST
def job_start(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    job = _job(request, public_id)
    _require_issue(request, job.badge_class)
    try:
        bulk.bulk_job_start(job=job)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("assertions:job", tenant_slug=tenant_slug, public_id=job.public_id)


@role_required(*ANY_STAFF)
def job_problems(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """The bad rows as CSV, to fix in the spreadsheet and upload again."""
    job = _job(request, public_id)
    return csv_response(f"bad-rows-{job.public_id}.csv", *bulk.problems_table(job.errors))
