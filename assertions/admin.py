"""Platform admin for assertions: issuing and revoking go through the services, in the tenant's scope."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue, assertion_revoke
from issuers.scoping import tenant_scope


@admin.register(Assertion)
class AssertionAdmin(admin.ModelAdmin):
    list_display = ["public_id", "badge_class", "tenant", "issued_on", "verification_type", "revoked"]
    list_filter = ["tenant", "revoked", "verification_type"]
    fields = ["badge_class", "recipient_identity", "recipient_name", "issued_on", "expires", "narrative",
              "verification_type"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Assertion | None = None) -> bool:
        return False  # an award is never edited in place: revoke and re-issue

    def save_model(self, request: HttpRequest, obj: Assertion, form: object, change: bool) -> None:
        with tenant_scope(obj.badge_class.tenant):
            recipient = Recipient(identity=obj.recipient_identity, name=obj.recipient_name,
                                  issued_on=obj.issued_on, expires=obj.expires, narrative=obj.narrative)
            (issued,) = assertion_issue(badge_class=obj.badge_class, recipients=[recipient],
                                        verification_type=obj.verification_type, actor=request.user)
        obj.pk, obj.public_id = issued.pk, issued.public_id

    @admin.action(description="Revoke selected awards (reason: 'Revoked by the platform admin')")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Assertion]) -> None:
        for assertion in queryset.select_related("tenant"):
            with tenant_scope(assertion.tenant):
                assertion_revoke(assertion=assertion, reason="Revoked by the platform admin", actor=request.user)
        messages.success(request, f"{queryset.count()} award(s) revoked.")
