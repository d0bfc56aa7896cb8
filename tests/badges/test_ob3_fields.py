"""The fields a college's Open Badges 3.0 Achievement needs (kind, credits, field of study, code,
language) are edited on the badge class by the tutor's form (the API: tests/api/test_api_ob3.py),
checked, and they are part of what an award means: changing them on an awarded class makes a new
version."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges.models import BadgeClass
from badges.services import badge_class_update
from issuers.scoping import tenant_scope
from tests.support import issue_one, png_bytes

FIELDS = {"achievement_type": "Certificate", "credits_available": "10", "field_of_study": "Hospitality",
          "human_code": "HOS-2", "in_language": "cy"}


def _form(issuer, **extra):
    return {"issuer": issuer.pk, "name": "Knife Skills", "description": "Uses a knife safely.",
            "criteria_narrative": "Dices an onion.", "criteria_url": "", "alignments": "", "tags": "",
            "image": SimpleUploadedFile("b.png", png_bytes(), content_type="image/png"), **FIELDS, **extra}


def test_the_tutor_form_sets_the_achievement_fields(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    response = client.post(reverse("badges:create", args=[tenant_a.slug]), _form(issuer_a))
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(tenant_a):
        badge = BadgeClass.objects.get(name="Knife Skills")
    assert (badge.achievement_type, str(badge.credits_available), badge.field_of_study, badge.human_code,
            badge.in_language) == ("Certificate", "10.00", "Hospitality", "HOS-2", "cy")


def test_a_language_that_is_not_a_language_code_is_a_form_error(client, alice, tenant_a, issuer_a):
    client.force_login(alice)
    response = client.post(reverse("badges:create", args=[tenant_a.slug]), _form(issuer_a, in_language="Welsh"))
    assert response.status_code == 200
    assert "A language code such as en" in response.content.decode()


def test_changing_them_on_an_awarded_badge_makes_a_new_version(tenant_a, badge_a, alice):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge_a, recipient_identity="ann@example.org", actor=alice)
        new = badge_class_update(badge_class=badge_a, actor=alice, credits_available=3)
    assert new.pk != badge_a.pk
    assert new.previous_version_id == badge_a.pk
