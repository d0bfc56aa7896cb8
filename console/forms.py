from __future__ import annotations

from typing import Any

from django import forms

from issuers.models import Tenant


class CollegeCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=60, label="Short name",
                           help_text="Used in the college's URLs, e.g. 'riverside'.")
    timezone = forms.CharField(max_length=64, initial="Europe/London", label="Time zone",
                               help_text="What the college's dates mean, e.g. Europe/London.")
    admin_email = forms.EmailField(label="First admin's email", help_text="They are sent an invitation.")

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A college already has this short name: choose another.")
        return slug


class StatusForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="The college's staff see this on every page.")


class LimitsForm(forms.Form):
    limit_badges_per_month = forms.IntegerField(min_value=0, required=False, label="Badges per month",
                                                help_text="Empty: no limit.")
    limit_learners_per_year = forms.IntegerField(min_value=0, required=False, label="Learners per year",
                                                 help_text="Empty: no limit.")


class OffboardForm(forms.Form):
    grace_days = forms.IntegerField(min_value=0, max_value=3650, initial=30, label="Delete after (days)",
                                    help_text="The archive is built now; the college is deleted after this many days.")
    confirm = forms.CharField(max_length=60, label="Type the college's short name to confirm")

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != self.tenant.slug:
            raise forms.ValidationError(f"Type {self.tenant.slug} to confirm.")
        return self.cleaned_data["confirm"]
