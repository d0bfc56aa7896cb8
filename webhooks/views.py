"""The college admin's webhook pages, under Settings: endpoints, their secret, and the delivery log."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from issuers.http import StaffRequest
from issuers.permissions import admin_only
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery


@admin_only
def endpoints(request: StaffRequest, tenant_slug: str) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, _ = services.endpoint_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("url", exc)
        else:
            messages.success(request, "Endpoint registered. Copy its signing secret into your system.")
            return redirect("webhooks:endpoint", tenant_slug=tenant_slug, public_id=endpoint.public_id)
    return render(request, "webhooks/endpoints.html",
                  {"form": form, "endpoints": selectors.endpoints_of(request.membership).order_by("created_at")})


@admin_only
def endpoint(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    found = get_object_or_404(selectors.endpoints_of(request.membership), public_id=public_id)
    form = EndpointForm(request.POST or None, initial={"url": found.url, "description": found.description,
                                                       "events": found.events})
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=found, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("url", exc)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:endpoint", tenant_slug=tenant_slug, public_id=public_id)
    status = request.GET.get("status", "")
    return render(request, "webhooks/endpoint.html", {
        "endpoint": found, "form": form, "secret": services.endpoint_secret(found),
        "overlap": len(services.endpoint_secrets(found)) > 1, "status": status,
        "disable_after_days": settings.WEBHOOK_DISABLE_AFTER_DAYS,
        "statuses": WebhookDelivery.Status.choices, "deliveries": selectors.delivery_log(found, status=status)})


@admin_only
@require_POST
def endpoint_action(request: StaffRequest, tenant_slug: str, public_id: str, action: str) -> HttpResponse:
    found = get_object_or_404(selectors.endpoints_of(request.membership), public_id=public_id)
    if action == "rotate":
        services.endpoint_rotate_secret(endpoint=found, actor=request.user)
        messages.success(request, "New signing secret made. The old one signs beside it for a day: "
                                  "put the new one in your system before then.")
    elif action == "enable":
        services.endpoint_enable(endpoint=found, actor=request.user)
        messages.success(request, "Endpoint enabled: the events that waited are being sent.")
    elif action == "disable":
        services.endpoint_disable(endpoint=found, actor=request.user)
        messages.success(request, "Endpoint disabled: events wait until you enable it again.")
    elif action == "delete":
        services.endpoint_delete(endpoint=found, actor=request.user)
        messages.success(request, f"Endpoint {found.url} deleted.")
        return redirect("webhooks:endpoints", tenant_slug=tenant_slug)
    return redirect("webhooks:endpoint", tenant_slug=tenant_slug, public_id=public_id)


@admin_only
@require_POST
def delivery_resend(request: StaffRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    delivery = get_object_or_404(selectors.deliveries_of(request.membership), id=public_id)
    try:
        services.delivery_resend(delivery=delivery, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{delivery.get_event_type_display()} is being sent again.")
    return redirect("webhooks:endpoint", tenant_slug=tenant_slug, public_id=delivery.endpoint.public_id)
