from __future__ import annotations

from typing import cast

from django import forms

from badges.models import BadgeClass


class EndorsementRequestForm(forms.Form):
    badge_class = forms.ModelChoiceField(queryset=BadgeClass.objects.none(), label="Badge to endorse")
    email = forms.EmailField(label="Endorser's email address",
                             help_text="Someone at the employer or professional body who may speak for it.")
    message = forms.CharField(label="Message (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["badge_class"]).queryset = (
            BadgeClass.objects.filter(retired_at=None).select_related("issuer"))


class EndorserProfileForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organisation name")
    url = forms.URLField(label="Website", assume_scheme="https")
    email = forms.EmailField(label="Public contact email")
    description = forms.CharField(label="About the organisation (optional)", required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    logo = forms.FileField(label="Logo (PNG or JPEG, optional)", required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))


class EndorsementForm(forms.Form):
    comment = forms.CharField(label="Your endorsement", widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="Why your organisation values this badge. It is published with the badge.")
