"""The college's branding follows its award into the learner's backpack: the badge page is headed by the
college's logo and name on its colour, and the certificate carries the logo and the colour (its own
page, not the staff's). A college without a logo shows its name; another college's brand never shows."""

from __future__ import annotations

from backpack import services
from issuers.context import Actor, tenant_context
from issuers.services import tenant_update
from tests.support import png_bytes
from tests.support.learners import award

TEAL = "#0f766e"


def brand(tenant, *, colour: str = TEAL, logo: bool = True) -> None:
    """College ``tenant``'s colour and logo, set through the settings service as its admin would."""
    with tenant_context(tenant, Actor(system="test: the college admin's settings")):
        tenant_update(tenant=tenant, changes={"primary_colour": colour},
                      logo=png_bytes(96, colour=(15, 118, 110, 255)) if logo else None)
    tenant.refresh_from_db()


def _entry(client, learner, badge):
    entry = services.assertion_claim(assertion=award(badge), user=learner)
    client.force_login(learner)
    return entry


def test_the_backpack_badge_page_is_headed_by_the_colleges_logo_and_colour(client, learner, badge_a, tenant_a,
                                                                           settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    brand(tenant_a)
    entry = _entry(client, learner, badge_a)
    page = client.get(f"/backpack/badges/{entry.public_id}/").content.decode()
    assert f'<div class="college-brand" data-college="{tenant_a.slug}">' in page
    assert f'<img src="{tenant_a.logo_url}"' in page
    assert f"--brand: {TEAL};" in page
    assert "--brand-text: #ffffff;" in page  # white reads on teal
    logo = client.get(tenant_a.logo_url)
    assert (logo.status_code, logo["Content-Type"]) == (200, "image/png")


def test_the_certificate_carries_the_colleges_logo_and_colour(client, learner, badge_a, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    brand(tenant_a)
    entry = _entry(client, learner, badge_a)
    page = client.get(f"/backpack/badges/{entry.public_id}/certificate/").content.decode()
    assert f'<img src="{tenant_a.logo_url}" alt="College A" class="cert-logo">' in page
    assert f"--brand: {TEAL};" in page
    assert f"--brand-ink: {tenant_a.brand.ink};" in page


def test_without_a_logo_the_certificate_names_the_college_and_each_college_keeps_its_own_brand(
        client, learner, badge_a, badge_b, tenant_a, tenant_b):
    brand(tenant_a, logo=False)
    brand(tenant_b, colour="#7c3aed", logo=False)
    ours, theirs = _entry(client, learner, badge_a), _entry(client, learner, badge_b)
    certificate = client.get(f"/backpack/badges/{ours.public_id}/certificate/").content.decode()
    assert '<p class="cert-college">College A</p>' in certificate
    assert "cert-logo" not in certificate
    page = client.get(f"/backpack/badges/{theirs.public_id}/").content.decode()
    assert "--brand: #7c3aed;" in page
    assert TEAL not in page
