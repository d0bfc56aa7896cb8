from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import password_validation

from backpack.models import Visibility

if TYPE_CHECKING:
    from backpack.selectors import Item


class ClaimSignupForm(forms.Form):
    name = forms.CharField(label="Your name (optional)", max_length=150, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(label="Choose a password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str = "", name: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["name"].initial = name  # the name the tutor typed when awarding it
        # The rules up front, before the first try (the validators of AUTH_PASSWORD_VALIDATORS).
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            from django.contrib.auth import get_user_model

            try:
                password_validation.validate_password(p1, get_user_model()(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


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
