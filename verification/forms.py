"""The employer's verify form: one badge (text or image) and, optionally, the candidate's email."""

from __future__ import annotations

from typing import Any

from django import forms

MAX_IMAGE_BYTES = 5 * 1024 * 1024


class VerifyForm(forms.Form):
    badge = forms.CharField(
        label="Badge link, assertion or credential JSON, or signed badge (JWS or JWT)", required=False,
        max_length=256 * 1024,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off",
                                     "placeholder": "https://…/public/assertions/…"}),
    )
    image = forms.FileField(label="Or a badge image (PNG or SVG)", required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": ".png,.svg,image/png,image/svg+xml"}))
    recipient = forms.EmailField(
        label="Candidate's email (optional)", required=False, max_length=320,
        help_text="We check it against the badge without showing or storing the address.",
    )

    def clean_image(self) -> bytes | None:
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        if upload.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError("The image is too large; the limit is 5 MB.")
        return upload.read(MAX_IMAGE_BYTES + 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if not (data.get("badge") or "").strip() and not data.get("image") and not self.errors:
            raise forms.ValidationError("Paste a badge link or assertion, or choose a badge image.")
        return data
