"""Pages for endorsements: the tenant admin asks; the endorser answers, keeps a profile, withdraws."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.http import SignedInRequest
from endorsements import services
from endorsements.forms import EndorsementForm, EndorsementRequestForm, EndorserProfileForm
from endorsements.models import Endorsement, EndorsementRequest, EndorserProfile
from issuers.http import StaffRequest
from issuers.models import Role
from issuers.permissions import admin_only, role_required

# --- The college's side (under /t/<slug>/) -------------------------------------------------------


@role_required(Role.ADMIN, Role.VIEWER)
def tenant_endorsements(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = EndorsementRequestForm(request.POST or None)
    if request.method == "POST":
        if request.membership.role != Role.ADMIN:
            raise PermissionDenied("Only an admin of the college can ask for endorsements.")
        if form.is_valid():
            try:
                services.endorsement_request_create(badge_class=form.cleaned_data["badge_class"],
                                                    email=form.cleaned_data["email"],
                                                    message=form.cleaned_data["message"], actor=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Request to {form.cleaned_data['email']} is on its way: see its "
                                          "email status below.")
                return redirect("endorsements:tenant", tenant_slug=tenant_slug)
    return render(request, "endorsements/tenant.html", {
        "form": form,
        "endorsements": Endorsement.objects.select_related("badge_class", "endorser"),
        "pending": [r for r in EndorsementRequest.objects.select_related("badge_class", "mail") if r.is_usable],
    })


@require_POST
@admin_only
def tenant_request_revoke(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    endorsement_request = get_object_or_404(EndorsementRequest, public_id=public_id)
    services.endorsement_request_revoke(request=endorsement_request, actor=request.user)
    messages.success(request, "Request withdrawn.")
    return redirect("endorsements:tenant", tenant_slug=tenant_slug)


@require_POST
@admin_only
def tenant_request_resend(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    endorsement_request = get_object_or_404(EndorsementRequest, public_id=public_id)
    try:
        services.endorsement_request_resend(request=endorsement_request, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"A new link is on its way to {endorsement_request.email}; the earlier one no "
                                  "longer works.")
    return redirect("endorsements:tenant", tenant_slug=tenant_slug)


# --- The endorser's side (no tenant membership needed) -----------------------------------------------


@login_required
def answer(request: SignedInRequest, token: str) -> HttpResponse:
    endorsement_request = services.endorsement_request_by_token(token)
    if endorsement_request is None:
        raise Http404("No such endorsement request.")
    profile = EndorserProfile.objects.filter(owner=request.user).first()
    profile_form = EndorserProfileForm(initial=_profile_initial(profile))
    form = EndorsementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.endorsement_publish(request=endorsement_request, user=request.user,
                                         comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Thank you: your endorsement of {endorsement_request.badge_class.name} "
                                      "is published.")
            return redirect("endorsements:endorser")
    return render(request, "endorsements/answer.html", {
        "req": endorsement_request, "badge": endorsement_request.badge_class, "profile": profile,
        "profile_form": profile_form, "form": form, "token": token,
    })


def _profile_initial(profile: EndorserProfile | None) -> dict[str, str]:
    if profile is None:
        return {}
    return {"name": profile.name, "url": profile.url, "email": profile.email, "description": profile.description}


@login_required
def endorser(request: SignedInRequest) -> HttpResponse:
    profile = EndorserProfile.objects.filter(owner=request.user).first()
    form = EndorserProfileForm(request.POST or None, request.FILES or None, initial=_profile_initial(profile))
    if request.method == "POST" and form.is_valid():
        logo = form.cleaned_data.get("logo")
        try:
            services.endorser_profile_save(user=request.user, name=form.cleaned_data["name"],
                                           url=form.cleaned_data["url"], email=form.cleaned_data["email"],
                                           description=form.cleaned_data["description"],
                                           logo=logo.read() if logo else None)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your public profile is saved.")
            next_url = request.POST.get("next", "")
            return redirect(next_url if next_url.startswith("/endorse/") else "endorsements:endorser")
    return render(request, "endorsements/endorser.html", {
        "profile": profile, "form": form, "endorsements": services.endorsements_of_user(request.user),
        "next": request.GET.get("next", ""),
    })


@require_POST
@login_required
def withdraw(request: SignedInRequest, public_id: str) -> HttpResponse:
    endorsement = services.endorsement_of_user(request.user, public_id)
    if endorsement is None:
        raise Http404("No such endorsement.")
    services.endorsement_withdraw(endorsement=endorsement, user=request.user)
    messages.success(request, f"Your endorsement of {endorsement.badge_class.name} is withdrawn.")
    return redirect("endorsements:endorser")
