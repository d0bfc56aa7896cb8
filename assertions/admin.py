"""Platform admin for assertions: issuing and revoking go through the services, in the tenant's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue, assertion_revoke, recipients_check
from issuers.scoping import tenant_scope

FIELDS = ["badge_class", "recipient_identity", "recipient_name", "issued_on", "expires", "narrative",
          "verification_type"]


class AssertionAdminForm(forms.ModelForm):
    """The issuing service's own checks (a learner who already holds the badge, say) shown on the form,
    as the tutor's form shows them, instead of failing when the award is saved."""

    allow_duplicate = forms.BooleanField(required=False, label="Award it again",
                                         help_text="Issue it even if this learner already holds the badge.")

    # No Meta: the admin makes the model form when a page asks for it, inside the request's scope (a
    # tenant-owned model's manager refuses the unscoped query a form made at import would run).

    def recipient(self) -> Recipient:
        data = self.cleaned_data
        return Recipient(identity=data["recipient_identity"], name=data.get("recipient_name") or "",
                         issued_on=data.get("issued_on"), expires=data.get("expires"),
                         narrative=data.get("narrative") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        badge_class = data.get("badge_class")
        if badge_class is not None and data.get("recipient_identity"):
            with tenant_scope(badge_class.tenant):
                problems = recipients_check(badge_class=badge_class, recipients=[self.recipient()],
                                            allow_duplicate=data.get("allow_duplicate", False))
            if problems:
                raise forms.ValidationError([f"{problem.identity}: {problem.error}" for problem in problems])
        return data


@admin.register(Assertion)
class AssertionAdmin(admin.ModelAdmin):
    list_display = ["public_id", "badge_class", "tenant", "issued_on", "verification_type", "revoked"]
    list_filter = ["tenant", "revoked", "verification_type"]
    form = AssertionAdminForm
    fields = [*FIELDS, "allow_duplicate"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Assertion | None = None) -> bool:
        return False  # an award is never edited in place: revoke and re-issue

    def save_model(self, request: HttpRequest, obj: Assertion, form: AssertionAdminForm, change: bool) -> None:
        with tenant_scope(obj.badge_class.tenant):
            (issued,) = assertion_issue(badge_class=obj.badge_class, recipients=[form.recipient()],
                                        verification_type=obj.verification_type, actor=request.user,
                                        allow_duplicate=form.cleaned_data["allow_duplicate"])
        obj.pk, obj.public_id = issued.pk, issued.public_id

    @admin.action(description="Revoke selected awards (reason: 'Revoked by the platform admin')")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Assertion]) -> None:
        for assertion in queryset.select_related("tenant"):
            with tenant_scope(assertion.tenant):
                assertion_revoke(assertion=assertion, reason="Revoked by the platform admin", actor=request.user)
        messages.success(request, f"{queryset.count()} award(s) revoked.")
