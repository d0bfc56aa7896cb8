"""The platform admin's badge class form: JSON nested too deeply is a form error, never a 500."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.services import user_mark_email_verified
from badges.services import badge_class_create
from issuers.scoping import tenant_scope
from tests.support import PASSWORD, png_bytes


def test_deeply_nested_alignments_in_the_admin_are_a_form_error(client, tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        badge = badge_class_create(issuer=issuer_a, name="Welding", description="Welds a joint.",
                                   image=png_bytes(), criteria_narrative="Welds a joint.")
    root = get_user_model().objects.create_superuser("root@platform.example", PASSWORD)
    user_mark_email_verified(root)
    client.force_login(root)
    url = reverse("admin:badges_badgeclass_change", args=[badge.pk])
    with tenant_scope(tenant_a):
        response = client.post(url, {"name": badge.name, "alignments": "[" * 1000 + "]" * 1000, "tags": "[]"})
    assert response.status_code == 200
    assert "Enter a valid JSON." in response.context["adminform"].form.errors["alignments"]

