from __future__ import annotations

from django import forms

from webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.URLField(label="Endpoint URL", max_length=500, assume_scheme="https",
                         help_text="Where your system listens, e.g. https://mis.college.ac.uk/badge-events. "
                                   "Every delivery is a signed POST (Standard Webhooks).")
    description = forms.CharField(label="Description", max_length=200, required=False,
                                  help_text="What it is, e.g. 'Student records (MIS)'.")
    events = forms.MultipleChoiceField(label="Events", choices=EventType.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[EventType.AWARD_ISSUED, EventType.AWARD_REVOKED])
