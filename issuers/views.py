"""Staff pages for running a tenant (the platform's own pages are the console app).

Every view under ``/t/<tenant_slug>/`` runs inside that tenant's scope (see the middleware), so
``get_object_or_404(Model, public_id=...)`` can only find the current tenant's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors as account_selectors
from accounts.backends import AUTH_BACKEND
from accounts.forms import ProvenAddressSignupForm
from accounts.http import SignedInRequest
from issuers import audit, forms, selectors, services
from issuers.context import tenant_context
from issuers.csvexport import csv_streaming_response
from issuers.http import StaffRequest
from issuers.models import ApiKey, Invitation, Membership, Role, Tenant
from issuers.permissions import ANY_STAFF, admin_only, role_required


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home.html")
    memberships = selectors.user_memberships(request.user)
    last = request.session.get("last_tenant")
    if last and any(m.tenant.slug == last for m in memberships):
        return redirect("issuers:dashboard", tenant_slug=last)
    if len(memberships) == 1:
        return redirect("issuers:dashboard", tenant_slug=memberships[0].tenant.slug)
    if not memberships:  # a learner (or an endorser): their own badges
        return redirect("backpack:home")
    return render(request, "issuers/choose_tenant.html", {"memberships": memberships})


@login_required
def choose_tenant(request: SignedInRequest) -> HttpResponse:
    return render(request, "issuers/choose_tenant.html", {"memberships": selectors.user_memberships(request.user)})


@role_required(*ANY_STAFF)
def dashboard(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    issuers = selectors.membership_issuers(request.membership)
    return render(request, "issuers/dashboard.html", {"issuers": issuers})


# --- Staff ------------------------------------------------------------------------------------


@admin_only
def staff(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = services.invitation_create(
                tenant=request.tenant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(request, f"Invitation to {invitation.email} is on its way: see its email status below.")
            return redirect("issuers:staff", tenant_slug=tenant_slug)
    context = {
        "form": form,
        "members": Membership.objects.select_related("user").prefetch_related("issuers"),
        "invitations": [i for i in Invitation.objects.filter(accepted_at=None, revoked_at=None).select_related("mail")
                        if i.is_usable],
    }
    return render(request, "issuers/staff.html", context)


@admin_only
def member_edit(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), public_id=public_id)
    initial = {"role": membership.role, "issuers": membership.issuers.all()}
    form = forms.MembershipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=membership,
                role=form.cleaned_data["role"],
                issuer_ids=[i.pk for i in form.cleaned_data["issuers"]],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error("role", exc)
        else:
            messages.success(request, f"{membership.user} updated.")
            return redirect("issuers:staff", tenant_slug=tenant_slug)
    return render(request, "issuers/member_edit.html", {"form": form, "member": membership})


@admin_only
@require_POST
def member_remove(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), public_id=public_id)
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user} no longer has access.")
    return redirect("issuers:staff", tenant_slug=tenant_slug)


@admin_only
@require_POST
def invitation_revoke(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation, public_id=public_id)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("issuers:staff", tenant_slug=tenant_slug)


@admin_only
@require_POST
def invitation_resend(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation, public_id=public_id)
    try:
        services.invitation_resend(invitation=invitation, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"A new invitation link is on its way to {invitation.email}; the earlier one "
                                  "no longer works.")
    return redirect("issuers:staff", tenant_slug=tenant_slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return render(request, "issuers/invitation.html", {"error": "This invitation link is not valid."}, status=404)
    if not request.user.is_authenticated:
        return _invitation_anonymous(request, invitation)
    error = None
    if request.method == "POST":
        try:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Welcome to {membership.tenant.name}.")
            if membership.role == Role.ADMIN:  # a new college's first admin starts from its set-up checklist
                return redirect("console:setup", tenant_slug=invitation.tenant.slug)
            return redirect("issuers:dashboard", tenant_slug=invitation.tenant.slug)
    elif not invitation.is_usable:
        error = "This invitation has expired or has already been used."
    return render(request, "issuers/invitation.html", {"invitation": invitation, "error": error})


def _invitation_anonymous(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """No one signed in: someone with an account logs in; someone new signs up here, with the invited
    address filled in and proven by the link, and joins at once."""
    context: dict[str, object] = {"invitation": invitation, "next": request.path,
                                  "has_account": account_selectors.user_by_verified_email(email=invitation.email)
                                  is not None}
    if context["has_account"] or not invitation.is_usable:
        if not invitation.is_usable:
            context["error"] = "This invitation has expired or has already been used."
        return render(request, "issuers/invitation.html", context)
    form = ProvenAddressSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_signup(invitation=invitation, password=form.cleaned_data["password1"],
                                                    name=form.cleaned_data["name"])
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        else:
            login(request, membership.user, backend=AUTH_BACKEND)
            messages.success(request, f"Welcome to {membership.tenant.name}.")
            return redirect("issuers:dashboard", tenant_slug=membership.tenant.slug)
    return render(request, "issuers/invitation.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


# --- API keys, audit, settings ----------------------------------------------------------------


@admin_only
def api_keys(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = forms.ApiKeyForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _, new_secret = services.api_key_create(
            tenant=request.tenant, name=form.cleaned_data["name"], actor=request.user
        )
        form = forms.ApiKeyForm()
    return render(
        request, "issuers/api_keys.html", {"form": form, "keys": ApiKey.objects.all(), "new_secret": new_secret}
    )


@admin_only
@require_POST
def api_key_revoke(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    key = get_object_or_404(ApiKey, public_id=public_id)
    services.api_key_revoke(key=key, actor=request.user)
    messages.success(request, f"API key {key.prefix}… revoked.")
    return redirect("issuers:api_keys", tenant_slug=tenant_slug)


def _audit_form(request: StaffRequest) -> forms.AuditFilterForm:
    return forms.AuditFilterForm(request.GET or None, actors=audit.audit_actor_choices(request.tenant),
                                 badges=audit.audit_badge_choices(request.membership))


@role_required(Role.ADMIN, Role.VIEWER)
def audit_log(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = _audit_form(request)
    entries, after = audit.audit_page(form.audit_filter(), after=request.GET.get("after", ""))
    rows = [(entry, audit.who(entry), audit.sentence(entry)) for entry in entries]
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "issuers/audit.html", {
        "form": form, "rows": rows, "after": after, "query": query.urlencode(),
        "first_page": not request.GET.get("after"), "retention_days": settings.AUDIT_RETENTION_DAYS})


@role_required(Role.ADMIN, Role.VIEWER)
def audit_export(request: StaffRequest, tenant_slug: str) -> StreamingHttpResponse:
    flt = _audit_form(request).audit_filter()

    def rows() -> Iterator[list[Any]]:
        # Read while the response streams, after the middleware's context has ended: enter it again.
        with tenant_context(request.tenant, request.user):
            yield from audit.audit_rows(flt)

    return csv_streaming_response(f"audit-{request.tenant.slug}.csv", audit.AUDIT_CSV_HEADER, rows())


@admin_only
def tenant_settings(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = forms.TenantSettingsForm(request.POST or None, request.FILES or None, instance=request.tenant)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.changed_data}
        try:
            services.tenant_update(tenant=request.tenant, changes=changes, logo=form.cleaned_data["logo_file"],
                                   remove_logo=form.cleaned_data["remove_logo"], actor=request.user)
        except ValidationError as exc:
            form.add_error("logo_file" if form.cleaned_data["logo_file"] else None, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("issuers:settings", tenant_slug=tenant_slug)
        request.tenant.refresh_from_db()
    return render(request, "issuers/settings.html", {"form": form, "brand": request.tenant.brand})


# --- Issuer profiles --------------------------------------------------------------------------


@role_required(*ANY_STAFF)
def issuer_list(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = forms.IssuerForm(request.POST or None)
    if request.method == "POST":
        if request.membership.role != Role.ADMIN:
            messages.error(request, "Only admins can add issuers.")
        elif form.is_valid():
            issuer = services.issuer_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
            messages.success(request, f"Issuer {issuer.name} created.")
            return redirect("issuers:issuers", tenant_slug=tenant_slug)
    issuers = selectors.membership_issuers(request.membership)
    return render(request, "issuers/issuer_list.html", {"issuers": issuers, "form": form})


@role_required(*ANY_STAFF)
def issuer_detail(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    issuer = get_object_or_404(selectors.membership_issuers(request.membership), public_id=public_id)
    form = forms.IssuerForm(request.POST or None, instance=issuer)
    if request.method == "POST":
        if request.membership.role != Role.ADMIN:
            messages.error(request, "Only admins can change issuers.")
        elif form.is_valid():
            form.save()
            services.audit_record(
                tenant=request.tenant,
                action="issuer.update",
                actor=request.user,
                obj=issuer,
                data={"changed": form.changed_data},
            )
            messages.success(request, "Issuer saved.")
            return redirect("issuers:issuer", tenant_slug=tenant_slug, public_id=issuer.public_id)
    return render(
        request, "issuers/issuer_detail.html", {"issuer": issuer, "form": form, "keys": issuer.signing_keys.all()}
    )


@admin_only
@require_POST
def issuer_rotate_key(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    issuer = get_object_or_404(selectors.membership_issuers(request.membership), public_id=public_id)
    services.signing_key_rotate(issuer=issuer, actor=request.user)
    messages.success(request, "A new signing key is in use; earlier keys stay published for older badges.")
    return redirect("issuers:issuer", tenant_slug=tenant_slug, public_id=issuer.public_id)


_LOGO_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@require_safe
def college_logo(request: HttpRequest, public_id: str) -> HttpResponse:
    """A college's logo (public: it heads the college's public pages and its emails). Stored only after
    the badge image checks, and served as a sandboxed image that no page can script."""
    tenant = get_object_or_404(Tenant, public_id=public_id)
    if not tenant.logo:
        raise Http404("This college has no logo.")
    with tenant.logo.open("rb") as fh:
        data = fh.read()
    kind = (tenant.logo.name or "").rsplit(".", 1)[-1]
    response = HttpResponse(data, content_type=_LOGO_TYPES.get(kind, "image/png"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "public, max-age=300"  # a new logo shows within five minutes
    return response
