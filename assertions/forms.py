"""Forms of the tutor's award pages: one learner, a cohort, revoke, correct an address."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from assertions.bulk import MAX_FILE_BYTES


class AwardForm(forms.Form):
    # The field the tutor types first: it has the focus when the form opens.
    email = forms.EmailField(label="Learner’s email",
                             widget=forms.EmailInput(attrs={"autocomplete": "off", "autofocus": True}))
    name = forms.CharField(label="Learner’s name", max_length=200)
    issued_on = forms.DateField(label="Date achieved", help_text="Today, unless the skill was shown earlier.",
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    evidence_url = forms.URLField(label="Evidence link", required=False, assume_scheme="https",
                                  help_text="A photo, video or portfolio page.")
    evidence_narrative = forms.CharField(label="Evidence note", required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}),
                                         help_text="What you saw the learner do.")
    narrative = forms.CharField(label="Narrative", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                help_text="Anything else to say about this award.")
    allow_duplicate = forms.BooleanField(label="Award it again if the learner already holds this badge",
                                         required=False, help_text="Otherwise a learner is given each badge once.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"issued_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_issued_on(self) -> Any:
        day = self.cleaned_data["issued_on"]
        if day > timezone.localdate():
            raise ValidationError("The date achieved cannot be in the future.")
        return day

    def evidence(self) -> list[dict[str, str]]:
        url, note = self.cleaned_data.get("evidence_url", ""), self.cleaned_data.get("evidence_narrative", "").strip()
        return [{"id": url, "narrative": note}] if (url or note) else []


class CohortForm(forms.Form):
    emails = forms.CharField(label="Paste emails, one per line", required=False,
                             widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
                             help_text="“name, email” or “Name <email>” lines work too.")
    file = forms.FileField(label="Or upload a CSV file", required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
                           help_text="Columns: email, name, and optionally evidence_url, evidence_narrative, "
                                     "narrative, issued_on, expires. The first line names the columns.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_FILE_BYTES:
            raise ValidationError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it.")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        has_text, has_file = bool(data.get("emails", "").strip()), bool(data.get("file"))
        if has_text == has_file and not self.errors:
            raise ValidationError("Paste a list of emails or choose a CSV file (one of the two).")
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300,
                             help_text="Learners and employers checking the badge see this.")
    notify_learner = forms.BooleanField(label="Email the learner this reason", required=False, initial=True)


class CorrectAddressForm(forms.Form):
    email = forms.EmailField(label="Correct email address")
    name = forms.CharField(label="Learner’s name", max_length=200, required=False)


class ErasureForm(forms.Form):
    """A learner asked the college to erase its records of them: find their awards, then act on all of them."""

    email = forms.EmailField(label="The learner's email address")
    action = forms.ChoiceField(label="What to do", required=False, widget=forms.RadioSelect, choices=[
        ("withdraw", "Withdraw: each badge stays verifiable as revoked, \u201cwithdrawn at the learner's "
                     "request\u201d; the learner's name, narrative and evidence are removed"),
        ("delete", "Delete entirely: the awards and their emails go; their public links answer \u201cdeleted at the "
                   "learner's request\u201d"),
    ])
    confirm = forms.BooleanField(label="I have checked this is the learner's request", required=False)
