from __future__ import annotations

from typing import Any, cast

from django import forms

from issuers import audit
from issuers.models import Issuer, Role, Tenant


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ISSUER)


class MembershipForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    issuers = forms.ModelMultipleChoiceField(
        queryset=Issuer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For tutors: leave all unticked to allow every issuer of the college.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["issuers"]).queryset = Issuer.objects.all()


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="What the key is for, e.g. 'MIS sync'.")


class TenantSettingsForm(forms.ModelForm):
    logo_file = forms.FileField(
        label="Logo", required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/svg+xml"}),
        help_text="A square PNG or SVG, at least 90×90 pixels and at most 256 KB: the same checks as a badge "
                  "image. Shown on the award email, the claim page, the learner's badge and share pages, the "
                  "verification result and the certificate.")
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    class Meta:
        model = Tenant
        fields = ["name", "contact_email", "reply_to_email", "primary_colour", "linkedin_organization_id",
                  "timezone", "require_mfa", "certificate_orientation"]
        widgets = {"primary_colour": forms.TextInput(attrs={"type": "color"})}
        help_texts = {"primary_colour": "The top bar, buttons and the certificate's frame. Text on it is paired "
                                        "automatically with white or black, whichever reads at 4.5:1 or better "
                                        "(WCAG AA); links use a shade of it that reads on white."}

    def clean_logo_file(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size > 256 * 1024:
            raise forms.ValidationError(f"The logo is {upload.size // 1024} KB: the limit is 256 KB.")
        return upload.read()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Optional in a POST (scripts and older forms leave it out): the college keeps its choice.
        self.fields["certificate_orientation"].required = False

    def clean_certificate_orientation(self) -> str:
        return self.cleaned_data.get("certificate_orientation") or self.instance.certificate_orientation


class IssuerForm(forms.ModelForm):
    url = forms.URLField(label="Website", assume_scheme="https",
                         help_text="The college's or department's public website.")

    class Meta:
        model = Issuer
        fields = ["name", "url", "email", "description", "default_verification"]


class AuditFilterForm(forms.Form):
    """The audit log's filters (GET): who, what, which badge, from and to which day (the college's)."""

    actor = forms.ChoiceField(label="Person or key", required=False)
    action = forms.ChoiceField(label="Action", required=False)
    badge = forms.ChoiceField(label="Badge", required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actors: list[str], badges: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = cast(dict[str, forms.ChoiceField], self.fields)
        choice["actor"].choices = [("", "Anyone"), *((a, a) for a in actors)]
        choice["action"].choices = [("", "Any action"), *(
            (action, action.replace("_", " ").replace(".", ": ")) for action in sorted(audit.PHRASES)
            if action != "assertion.issue_batch")]
        choice["badge"].choices = [("", "Any badge"), *badges]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("The 'From' day is after the 'To' day.")
        return data

    def audit_filter(self) -> audit.AuditFilter:
        if not self.is_valid():
            return audit.AuditFilter()
        data = self.cleaned_data
        return audit.AuditFilter(actor=data["actor"], action=data["action"], badge=data["badge"],
                                 since=data["since"], until=data["until"])
