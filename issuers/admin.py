"""Platform admin (superusers). Writes go through the same services as the web UI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from issuers import services
from issuers.keycache import api_keys_changed
from issuers.models import ApiKey, AuditEntry, Invitation, Issuer, Membership, OutboxEmail, SigningKey, Tenant


class TenantAddForm(forms.ModelForm):
    """What a new college needs; saved by ``issuers.services.tenant_create``, as the console and
    ``createtenant`` do (first admin invited, first issuer profile made)."""

    admin_email = forms.EmailField(label="First admin's email")

    class Meta:
        model = Tenant
        fields = ["name", "slug", "timezone"]


class KeysChangedAdmin(admin.ModelAdmin):
    """A save or delete here changes what an API key check decides: the web processes' remembered keys
    (which carry their tenant) are dropped (``issuers.keycache``)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        api_keys_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        api_keys_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        api_keys_changed()


@admin.register(Tenant)
class TenantAdmin(KeysChangedAdmin):
    list_display = ["name", "slug", "status", "contact_email", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    actions = ["suspend", "activate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        # Status, its reason and the plan limits change only through their services (audited): the
        # platform console, or this page's actions.
        if obj is None:
            return []
        return ["status", "status_reason", "status_changed_at", "limit_badges_per_month", "limit_learners_per_year"]

    def get_form(self, request: HttpRequest, obj: Tenant | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TenantAddForm
            kwargs["fields"] = ["name", "slug", "timezone", "admin_email"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        setup = services.tenant_create(slug=data["slug"], name=data["name"], admin_email=data["admin_email"],
                                       timezone_name=data["timezone"], first_issuer=True, actor=request.user)
        obj.pk, obj.public_id = setup.tenant.pk, setup.tenant.public_id
        obj._state.adding = False

    @admin.action(description="Suspend selected tenants (no new badges; issued ones stay valid)")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            services.tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED, actor=request.user,
                                       reason="Suspended by the platform's operators.")
        messages.success(request, f"{queryset.count()} tenant(s) suspended.")

    @admin.action(description="Re-activate selected tenants")
    def activate(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            services.tenant_set_status(tenant=tenant, status=Tenant.Status.ACTIVE, actor=request.user)
        messages.success(request, f"{queryset.count()} tenant(s) activated.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role"]
    list_filter = ["role", "tenant"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "created_at", "expires_at", "accepted_at", "email_status"]
    list_filter = ["mail__status"]
    exclude = ["token_hash"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Every email the platform sent or will send, read-only: Resend is the tenant staff's, per award or invitation."""

    list_display = ["created_at", "kind", "to", "tenant", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to"]
    exclude = ["content", "claim"]  # an account email's content holds its one-time link or code

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEmail | None = None) -> bool:
        return False


@admin.register(Issuer)
class IssuerAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "url", "default_verification"]
    list_filter = ["tenant"]


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ["public_id", "issuer", "created_at", "retired_at"]
    exclude = ["private_key_encrypted"]  # never shown, even encrypted
    readonly_fields = ["public_key_pem"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(KeysChangedAdmin):
    list_display = ["name", "prefix", "tenant", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]  # an edit here (revoked_at, the tenant) reaches the remembered keys at once


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tenant", "actor_label", "action", "summary"]
    list_filter = ["tenant", "action"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
