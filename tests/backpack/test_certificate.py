"""The printable certificate's layout is the college's choice (Settings), always one A4 page."""

from __future__ import annotations

from django.urls import reverse

from backpack import services
from issuers.models import Tenant
from tests.support.learners import award


def test_the_college_chooses_portrait_in_settings_and_the_certificate_follows(client, alice, tenant_a, badge_a,
                                                                              learner):
    client.force_login(alice)
    page = client.get(reverse("issuers:settings", args=[tenant_a.slug])).content.decode()
    assert "Portrait (A4, tall)" in page
    client.post(reverse("issuers:settings", args=[tenant_a.slug]), {
        "name": tenant_a.name, "contact_email": "", "reply_to_email": "", "primary_colour": "#1d4ed8",
        "timezone": "Europe/London", "certificate_orientation": "portrait"})
    assert Tenant.objects.get(pk=tenant_a.pk).certificate_orientation == "portrait"

    entry = services.assertion_claim(assertion=award(badge_a), user=learner)
    client.force_login(learner)
    html = client.get(f"/backpack/badges/{entry.public_id}/certificate/").content.decode()
    assert "@page { size: A4 portrait; margin: 10mm; }" in html
    assert 'class="cert cert-portrait"' in html


def test_a_settings_post_without_the_orientation_keeps_the_colleges_choice(client, alice, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(certificate_orientation="portrait")
    client.force_login(alice)
    client.post(reverse("issuers:settings", args=[tenant_a.slug]), {
        "name": tenant_a.name, "contact_email": "", "reply_to_email": "", "primary_colour": "#1d4ed8",
        "timezone": "Europe/London"})
    assert Tenant.objects.get(pk=tenant_a.pk).certificate_orientation == "portrait"
