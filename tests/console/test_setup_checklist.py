"""A new college's first admin sees a set-up checklist that ticks itself off from the college's data, each
step linking to the page that does it; only its admins see it."""

from __future__ import annotations

from django.urls import reverse

from badges.services import badge_class_create
from console.selectors import setup_checklist
from console.services import storage_measure
from issuers.models import Issuer, Role
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, invitation_create, issuer_update, tenant_create
from tests.support import issue_one, make_user, png_bytes


def _done(tenant) -> dict[str, bool]:
    with tenant_scope(tenant):
        return {s.title: s.done for s in setup_checklist(tenant=tenant)}


def test_each_step_ticks_itself_off_from_the_data(client, platform_admin):
    head = make_user("head@northgate.example")
    tenant = tenant_create(slug="northgate", name="Northgate", admin_email=head.email, first_issuer=True,
                           actor=platform_admin).tenant
    assert not any(_done(tenant).values())

    client.force_login(head)
    client.post(reverse("issuers:settings", args=[tenant.slug]), {
        "name": "Northgate College", "contact_email": head.email, "reply_to_email": "", "primary_colour": "#0f766e",
        "timezone": "Europe/London", "certificate_orientation": "landscape"})
    tenant.refresh_from_db()
    assert _done(tenant)["College details and time zone"]
    assert _done(tenant)["Logo and colour"]
    with tenant_scope(tenant):
        issuer = Issuer.objects.get()
        issuer_update(issuer=issuer, url="https://northgate.example", actor=head)
        badge = badge_class_create(issuer=issuer, name="First Aid", description="Keeps people safe.",
                                   image=png_bytes(), criteria_narrative="Passes the course.", actor=head)
        invitation_create(tenant=tenant, email="tutor@northgate.example", role=Role.ISSUER, actor=head)
        issue_one(badge_class=badge, recipient_identity="ann@example.org")
    done = _done(tenant)
    assert [title for title, ticked in done.items() if not ticked] == ["An API key"]
    with tenant_scope(tenant):
        api_key_create(tenant=tenant, name="MIS", actor=head)
    assert all(_done(tenant).values())

    page = client.get(reverse("console:setup", args=[tenant.slug])).content.decode()
    assert "6 of 6" in page
    assert reverse("issuers:api_keys", args=[tenant.slug]) in page


def test_only_the_colleges_admins_see_the_checklist(client, bob, charlie, tenant_a):
    client.force_login(bob)  # a tutor of College A
    assert client.get(reverse("console:setup", args=[tenant_a.slug])).status_code == 403
    client.force_login(charlie)  # another college's admin
    assert client.get(reverse("console:setup", args=[tenant_a.slug])).status_code == 404


def test_storage_is_measured_from_the_colleges_files(tenant_a, badge_a):
    with tenant_scope(tenant_a):
        issue_one(badge_class=badge_a, recipient_identity="ann@example.org")
    measure = storage_measure(tenant=tenant_a)
    assert measure.files == 1  # the badge image (the award is not baked yet)
    assert measure.bytes == len(png_bytes())
