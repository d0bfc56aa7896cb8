"""Badge classes: what an award means (name, description, image, criteria, competencies)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from issuers.models import Issuer, Tenant
from issuers.scoping import TenantScopedManager

# Open Badges 3.0's AchievementType vocabulary (an "ext:..." value extends it).
ACHIEVEMENT_TYPES = [
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree", "Award", "Badge",
    "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification", "CommunityService", "Competency",
    "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership", "ProfessionalDoctorate",
    "QualityAssuranceCredential", "MasterCertificate", "MasterDegree", "MicroCredential", "ResearchDoctorate",
    "SecondarySchoolDiploma",
]
language_code = RegexValidator(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$",
                               "A language code such as en, cy or en-GB (BCP 47).")


class BadgeClass(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="badge_classes")
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="badge_classes")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField()
    image = models.FileField(upload_to="badges/")
    # For SVG badges: a PNG rendition for emails, link previews and certificates.
    image_png = models.FileField(upload_to="badges/png/", blank=True)
    image_type = models.CharField(max_length=3, choices=[("png", "PNG"), ("svg", "SVG")], default="png")
    criteria_narrative = models.TextField(blank=True, help_text="Markdown: what a learner must show.")
    criteria_url = models.URLField(blank=True)
    # [{"targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode"}]
    alignments = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    validity_days = models.PositiveIntegerField(null=True, blank=True, help_text="Awards expire after this.")
    # What a college's Open Badges 3.0 Achievement says besides the above (all optional).
    achievement_type = models.CharField(max_length=40, blank=True, choices=[(t, t) for t in ACHIEVEMENT_TYPES],
                                        help_text="Open Badges 3.0 achievement type, e.g. Badge, Course, Certificate.")
    credits_available = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True,
                                            validators=[MinValueValidator(0)],
                                            help_text="Credit hours a learner earns, e.g. 3.0.")
    field_of_study = models.CharField(max_length=200, blank=True, help_text="E.g. Construction, Nursing.")
    human_code = models.CharField(max_length=60, blank=True, help_text="The college's course or unit code.")
    in_language = models.CharField(max_length=20, blank=True, validators=[language_code],
                                   help_text="The language of the achievement, e.g. en or cy.")
    retired_at = models.DateTimeField(null=True, blank=True)
    # Editing what an awarded badge means makes a new version; old awards keep the old one.
    previous_version = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "badge classes"

    def __str__(self) -> str:
        return self.name

    @property
    def validity_label(self) -> str:
        """How long an award stays valid, as a tutor would say it: "3 years", "90 days"."""
        days = self.validity_days or 0
        if days and days % 365 == 0:
            years = days // 365
            return f"{years} year{'s' if years != 1 else ''}"
        return f"{days} day{'s' if days != 1 else ''}"
