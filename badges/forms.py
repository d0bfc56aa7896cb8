"""The badge class form a tutor fills in: plain fields, alignments one per line, tags comma separated."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet

from badges import designer
from badges.models import ACHIEVEMENT_TYPES, BadgeClass, language_code
from issuers.models import Issuer

MAX_IMAGE_BYTES = 256 * 1024
ALIGNMENT_HELP = ("One competency per line: Name | link | framework | code, for example "
                  "“Working at height | https://example.org/wah | CSCS | L1-3”. Name and link are needed.")


def alignments_to_text(alignments: list[dict[str, str]]) -> str:
    lines = []
    for a in alignments:
        parts = [a.get("targetName", ""), a.get("targetUrl", ""), a.get("targetFramework", ""), a.get("targetCode", "")]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def alignments_from_text(text: str) -> list[dict[str, str]]:
    result, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            errors.append(f"Line {number}: give at least a name and a link, separated by “|”.")
            continue
        if len(parts) > 4:
            errors.append(f"Line {number}: at most four parts (name | link | framework | code).")
            continue
        try:
            URLValidator(schemes=["http", "https"])(parts[1])
        except ValidationError:
            errors.append(f"Line {number}: {parts[1]!r} is not a web link (http or https).")
            continue
        keys = ("targetName", "targetUrl", "targetFramework", "targetCode")
        result.append({k: v for k, v in zip(keys, parts, strict=False) if v})
    if errors:
        raise ValidationError(errors)
    return result


class BadgeClassForm(forms.Form):
    issuer = forms.ModelChoiceField(queryset=Issuer.objects.none(), empty_label=None,
                                    help_text="The organisation named on the badge.")
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="What the badge means, in a sentence or two.")
    image = forms.FileField(
        required=False, help_text="PNG or SVG, square, at least 90 × 90 pixels, up to 256 KB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/svg+xml"}),
    )
    criteria_narrative = forms.CharField(label="What a learner must show", required=False,
                                         widget=forms.Textarea(attrs={"rows": 4}))
    criteria_url = forms.URLField(label="Or a link to the criteria", required=False, assume_scheme="https")
    alignments = forms.CharField(label="Competencies", required=False, help_text=ALIGNMENT_HELP,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(required=False, help_text="Comma separated, e.g. construction, level 1.")
    validity_days = forms.IntegerField(label="Valid for (days)", required=False, min_value=1, max_value=36500,
                                       help_text="Leave empty if the badge never expires.")
    # Open Badges 3.0's Achievement (what a college's records and other systems read)
    achievement_type = forms.ChoiceField(label="Kind of achievement", required=False,
                                         choices=[("", "—"), *[(t, t) for t in ACHIEVEMENT_TYPES]])
    credits_available = forms.DecimalField(label="Credits", required=False, min_value=0, max_digits=6,
                                           decimal_places=2, help_text="Credit hours a learner earns, e.g. 3.0.")
    field_of_study = forms.CharField(label="Field of study", required=False, max_length=200,
                                     help_text="E.g. Construction, Nursing.")
    human_code = forms.CharField(label="Course or unit code", required=False, max_length=60)
    in_language = forms.CharField(label="Language", required=False, max_length=20, validators=[language_code],
                                  help_text="A language code such as en or cy.")

    # The image: designed here (badges.designer draws it) or uploaded; an edit may keep the current one.
    image_source = forms.ChoiceField(label="Image", widget=forms.RadioSelect, initial="design", required=False,
                                     choices=[("design", "Design it here"), ("upload", "Upload a file")])
    design_shape = forms.ChoiceField(label="Shape", required=False, initial="circle", choices=designer.SHAPES.items(),
                                     widget=forms.RadioSelect(attrs={"data-design": "shape"}))
    design_colour = forms.CharField(label="Colour", required=False, max_length=7,
                                    widget=forms.TextInput(attrs={"type": "color", "data-design": "colour"}))
    design_accent = forms.CharField(label="Border", required=False, max_length=7, initial="#ffffff",
                                    widget=forms.TextInput(attrs={"type": "color", "data-design": "accent"}))
    design_icon = forms.ChoiceField(label="Icon", required=False, initial="award",
                                    choices=[(n, n.replace("-", " ")) for n in designer.icon_names()],
                                    widget=forms.RadioSelect(attrs={"data-design": "icon"}))
    design_line1 = forms.CharField(label="First line", required=False, max_length=designer.MAX_LINE[1],
                                   widget=forms.TextInput(attrs={"data-design": "line1"}),
                                   help_text=f"Up to {designer.MAX_LINE[1]} characters, e.g. the badge's name.")
    design_line2 = forms.CharField(label="Second line", required=False, max_length=designer.MAX_LINE[2],
                                   widget=forms.TextInput(attrs={"data-design": "line2"}),
                                   help_text=f"Up to {designer.MAX_LINE[2]} characters, e.g. Level 1.")

    def __init__(self, *args: Any, issuers: QuerySet[Issuer], badge: BadgeClass | None = None,
                 default_colour: str = "#1d4ed8", **kwargs: Any) -> None:
        if badge is not None:
            kwargs.setdefault("initial", {
                "issuer": badge.issuer, "name": badge.name, "description": badge.description,
                "criteria_narrative": badge.criteria_narrative, "criteria_url": badge.criteria_url,
                "alignments": alignments_to_text(badge.alignments), "tags": ", ".join(badge.tags),
                "validity_days": badge.validity_days, "achievement_type": badge.achievement_type,
                "credits_available": badge.credits_available, "field_of_study": badge.field_of_study,
                "human_code": badge.human_code, "in_language": badge.in_language,
            })
        super().__init__(*args, **kwargs)
        self.badge = badge
        cast(forms.ModelChoiceField, self.fields["issuer"]).queryset = issuers
        self.fields["design_colour"].initial = default_colour  # the college's colour
        self.default_colour = default_colour
        if badge is not None:
            del self.fields["issuer"]  # a badge class keeps its issuer; make a new one for another
            source = cast(forms.ChoiceField, self.fields["image_source"])
            source.choices = [("keep", "Keep the current image"), ("design", "Design it here"),
                              ("upload", "Upload a file")]
            source.initial = "keep"

    def clean_image(self) -> bytes | None:
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        if upload.size > MAX_IMAGE_BYTES:
            raise ValidationError(f"The image is {upload.size // 1024} KB: the limit is 256 KB.")
        return upload.read()

    def clean_alignments(self) -> list[dict[str, str]]:
        return alignments_from_text(self.cleaned_data.get("alignments", ""))

    def clean_tags(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data.get("tags", "").split(",")]
        return list(dict.fromkeys(t for t in tags if t))[:20]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if not data.get("criteria_narrative", "").strip() and not data.get("criteria_url"):
            self.add_error("criteria_narrative", "Say what a learner must show, or give a link to the criteria.")
        # Not chosen (a form posted without the designer): the file if one came, else the current image.
        source = data.get("image_source") or ("upload" if data.get("image") or self.badge is None else "keep")
        if source == "design":
            try:
                design = designer.design_from({k: data.get(f"design_{k}") or "" for k in designer.FIELDS},
                                              default_colour=self.default_colour)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(f"design_{field}", errors)
            else:
                data["image"] = designer.design_svg(design)  # checked by the service like any upload
        elif source == "upload" and not data.get("image") and "image" not in self.errors:
            self.add_error("image", "Choose a PNG or SVG file, or design the image here.")
        elif source == "keep":
            data["image"] = None
        return data

    def changes(self) -> dict[str, Any]:
        """The fields for badge_class_create / badge_class_update (the image only when one was uploaded)."""
        data = {k: v for k, v in self.cleaned_data.items()
                if k != "image_source" and not k.startswith("design_")}
        data.pop("issuer", None)
        if data.get("image") is None:
            data.pop("image", None)
        return data
