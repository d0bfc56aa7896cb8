from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms

from accounts.forms import ProvenAddressSignupForm
from backpack.models import Visibility

if TYPE_CHECKING:
    from backpack.selectors import Item


# A claim link proves its address, as an invitation does: the one sign-up form for a proven address.
ClaimSignupForm = ProvenAddressSignupForm


class EntrySettingsForm(forms.Form):
    visibility = forms.ChoiceField(label="Who can see this badge", choices=Visibility.choices,
                                   widget=forms.RadioSelect)
    show_name = forms.BooleanField(label="Show my name on its share page", required=False)
    indexable = forms.BooleanField(label="Let search engines list its share page", required=False,
                                   help_text="Off by default: the page is marked noindex.")


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name", help_text="For example: Level 2 Construction")
    description = forms.CharField(label="Description (optional)", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(label="Who can see this collection", choices=Visibility.choices,
                                   initial=Visibility.LINK, widget=forms.RadioSelect)
    entries = forms.MultipleChoiceField(label="Badges in this collection", required=False,
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, items: Iterable[Item] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["entries"]).choices = [
            (str(i.public_id), f"{i.name} — {i.issuer_name}") for i in items]


class ImportForm(forms.Form):
    image = forms.FileField(label="A baked badge image (PNG or SVG), or an Open Badges 3.0 credential file (JSON or "
                            "JWT)", required=False, widget=forms.ClearableFileInput(
                                attrs={"accept": "image/png,image/svg+xml,.png,.svg,.json,.jwt,.jws"}))
    text = forms.CharField(label="…or paste the badge link, the Open Badges 3.0 credential (JSON or JWT) or the "
                           "signed badge (JWS)", required=False,
                           max_length=256 * 1024, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if bool(data.get("image")) == bool((data.get("text") or "").strip()):
            raise forms.ValidationError("Upload a badge image, or paste a link or signed badge — one of the two.")
        return data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label="Your password, to confirm", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
