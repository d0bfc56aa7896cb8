from __future__ import annotations

from typing import cast

from django import forms

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
    class Meta:
        model = Tenant
        fields = ["name", "contact_email", "reply_to_email", "primary_colour", "timezone", "require_mfa",
                  "certificate_orientation"]
        widgets = {"primary_colour": forms.TextInput(attrs={"type": "color"})}


class IssuerForm(forms.ModelForm):
    url = forms.URLField(label="Website", assume_scheme="https",
                         help_text="The college's or department's public website.")

    class Meta:
        model = Issuer
        fields = ["name", "url", "email", "description", "default_verification"]
