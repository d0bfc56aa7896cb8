"""The platform admin's award form: the issuing service's refusals are form errors, never a 500."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.services import user_mark_email_verified
from assertions.models import Assertion
from badges.services import badge_class_create
from issuers.scoping import tenant_scope
from tests.support import PASSWORD, issue_one, png_bytes


def test_awarding_a_badge_the_learner_holds_in_the_admin_is_a_form_error_unless_asked_again(client, tenant_a, issuer_a):
    with tenant_scope(tenant_a):
        badge = badge_class_create(issuer=issuer_a, name="Welding", description="Welds a joint.",
                                   image=png_bytes(), criteria_narrative="Welds a joint.")
        issue_one(badge_class=badge, recipient_identity="ann@example.org", notify=False)
    root = get_user_model().objects.create_superuser("root@platform.example", PASSWORD)
    user_mark_email_verified(root)
    client.force_login(root)
    form = {"badge_class": badge.pk, "recipient_identity": "ann@example.org", "recipient_name": "Ann",
            "issued_on_0": "2026-09-01", "issued_on_1": "09:00:00", "narrative": "", "verification_type": "hosted"}
    response = client.post(reverse("admin:assertions_assertion_add"), form)
    assert response.status_code == 200
    assert "ann@example.org: Already holds Welding." in str(response.context["adminform"].form.non_field_errors())
    with tenant_scope(tenant_a):
        assert Assertion.objects.filter(badge_class=badge).count() == 1
    response = client.post(reverse("admin:assertions_assertion_add"), {**form, "allow_duplicate": "on"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert Assertion.objects.filter(badge_class=badge).count() == 2
