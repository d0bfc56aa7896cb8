from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils import timezone

from badges.models import BadgeClass
from issuers.models import Issuer
from pathways.models import Pathway


class OutcomesFilter(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    issuer = forms.ModelChoiceField(queryset=Issuer.objects.none(), required=False, empty_label="All issuers")
    badge_class = forms.ModelChoiceField(queryset=BadgeClass.objects.none(), required=False, label="Badge",
                                         empty_label="All badges")
    pathway = forms.ModelChoiceField(queryset=Pathway.objects.none(), required=False, empty_label="All pathways")

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        today = timezone.localdate()
        initial = {"start": today - timedelta(days=89), "end": today}
        merged = {**{k: v.isoformat() for k, v in initial.items()}, **(data.dict() if data else {})}
        super().__init__(merged, **kwargs)
        cast(forms.ModelChoiceField, self.fields["issuer"]).queryset = Issuer.objects.all()
        cast(forms.ModelChoiceField, self.fields["badge_class"]).queryset = BadgeClass.objects.all()
        cast(forms.ModelChoiceField, self.fields["pathway"]).queryset = Pathway.objects.all()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if data.get("start") and data.get("end"):
            if data["start"] > data["end"]:
                raise forms.ValidationError("'From' must be on or before 'To'.")
            if (data["end"] - data["start"]).days > 3 * 366:
                raise forms.ValidationError("Choose at most three years at a time.")
        return data
