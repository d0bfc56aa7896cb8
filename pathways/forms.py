"""The pathway form: "every one of these" plus up to two "at least N of these" groups.

That covers what colleges describe (e.g. Health & Safety AND Food Hygiene AND 2 of {First Aid,
Allergens, Customer Service}); deeper nesting is available through the API and the admin.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms

from badges.models import BadgeClass
from issuers.models import Issuer, Membership
from issuers.selectors import membership_is_limited, membership_issuers


class _BadgeChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: BadgeClass) -> str:
        return obj.name


class PathwayForm(forms.Form):
    name = forms.CharField(max_length=200, label="Pathway name", help_text="e.g. Hospitality Ready")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="What completing it shows an employer.")
    required = _BadgeChoices(queryset=BadgeClass.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
                             label="Every one of these badges")
    group1_n = forms.IntegerField(required=False, min_value=1, label="At least how many of group 1?")
    group1 = _BadgeChoices(queryset=BadgeClass.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
                           label="Group 1")
    group2_n = forms.IntegerField(required=False, min_value=1, label="At least how many of group 2?")
    group2 = _BadgeChoices(queryset=BadgeClass.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
                           label="Group 2")
    capstone = forms.ModelChoiceField(queryset=BadgeClass.objects.none(), required=False,
                                      label="Badge awarded on completion (optional)", empty_label="None")
    retro_award = forms.BooleanField(required=False, initial=True,
                                     label="Award it now to learners who already qualify")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        badges = BadgeClass.objects.filter(retired_at=None).order_by("name")
        for name in ("required", "group1", "group2", "capstone"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = badges

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        parts: list[dict[str, Any]] = [{"badge": str(b.public_id)} for b in data.get("required") or []]
        for group in ("group1", "group2"):
            chosen, n = list(data.get(group) or []), data.get(f"{group}_n")
            if chosen:
                n = n or 1
                if n > len(chosen):
                    self.add_error(f"{group}_n", f"Only {len(chosen)} badges are ticked in this group.")
                    continue
                parts.append({"n": n, "of": [{"badge": str(b.public_id)} for b in chosen]})
        if not parts:
            raise forms.ValidationError("Tick at least one badge the pathway needs.")
        data["tree"] = parts[0] if len(parts) == 1 else {"all": parts}
        return data


class CohortForm(forms.Form):
    name = forms.CharField(max_length=200, label="Cohort name", help_text="e.g. Level 2 Catering, Sept 2026")
    issuer = forms.ModelChoiceField(queryset=Issuer.objects.none(), required=False, label="Whose learners",
                                    empty_label="The whole college",
                                    help_text="Tutors limited to an issuer see only that issuer's cohorts.")
    emails = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}),
                             label="Learners' emails, one per line",
                             help_text='"Name <email>" or "email, name" also work.')
    file = forms.FileField(required=False, label="…or a CSV from the MIS (columns email, name)",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["issuer"])
        field.queryset = membership_issuers(membership)
        if membership_is_limited(membership):  # their cohorts must be one of their issuers'
            field.required, field.empty_label = True, None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if not data.get("emails", "").strip() and not data.get("file"):
            raise forms.ValidationError("Paste some email addresses or choose a CSV file.")
        return data
