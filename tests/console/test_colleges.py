"""One way to make a college (``issuers.services.tenant_create``): the console, ``manage.py createtenant``
and the Django admin all give it its first issuer profile and invite its first admin through the outbox.
Suspending and re-activating carry a reason the college's staff see; its badges keep verifying."""

from __future__ import annotations

from django.core.management import call_command
from django.urls import reverse

from issuers.models import AuditEntry, Invitation, Issuer, OutboxEmail, Role, SigningKey, Tenant
from issuers.scoping import tenant_scope
from tests.support import LD, issue_to_learner


def _made_with_issuer_and_invitation(slug: str, admin_email: str, zone: str) -> Tenant:
    tenant = Tenant.objects.get(slug=slug)
    assert tenant.timezone == zone
    with tenant_scope(tenant):
        (issuer,) = Issuer.objects.all()
        assert issuer.name == tenant.name
        assert issuer.email == admin_email
        assert SigningKey.objects.filter(issuer=issuer, retired_at=None).count() == 1
        (invitation,) = Invitation.objects.all()
        assert (invitation.email, invitation.role) == (admin_email, Role.ADMIN)
        assert invitation.mail.kind == "invitation"
        assert invitation.mail.to == admin_email
        assert AuditEntry.objects.filter(action="tenant.create").exists()
    return tenant


def test_the_console_creates_a_college_with_its_issuer_and_invites_its_first_admin(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(reverse("console:colleges"), {"name": "Northgate College", "slug": "northgate",
                                                         "timezone": "Europe/Dublin",
                                                         "admin_email": "Head@Northgate.example"})
    tenant = _made_with_issuer_and_invitation("northgate", "head@northgate.example", "Europe/Dublin")
    assert response["Location"] == reverse("console:college", args=[tenant.public_id])
    assert OutboxEmail.objects.filter(kind="invitation", to="head@northgate.example").count() == 1


def test_the_console_refuses_a_taken_short_name_and_an_unknown_time_zone(client, platform_admin, tenant_a):
    client.force_login(platform_admin)
    taken = client.post(reverse("console:colleges"), {"name": "Other", "slug": "college-a",
                                                      "timezone": "Europe/London", "admin_email": "x@y.example"})
    assert "already has this short name" in taken.content.decode()
    zone = client.post(reverse("console:colleges"), {"name": "Other", "slug": "other",
                                                     "timezone": "Mars/Olympus", "admin_email": "x@y.example"})
    assert zone.status_code == 200
    assert "not a known time zone" in zone.content.decode()
    assert not Tenant.objects.filter(slug="other").exists()


def test_createtenant_makes_the_same_college(db):
    call_command("createtenant", "eastfield", "--name", "Eastfield College", "--admin-email",
                 "admin@eastfield.example", "--timezone", "America/New_York")
    _made_with_issuer_and_invitation("eastfield", "admin@eastfield.example", "America/New_York")
    call_command("createtenant", "eastfield", "--name", "Eastfield College", "--admin-email",
                 "admin@eastfield.example")  # again: nothing new
    _made_with_issuer_and_invitation("eastfield", "admin@eastfield.example", "America/New_York")


def test_the_django_admin_adds_a_college_through_the_same_service(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(reverse("admin:issuers_tenant_add"), {
        "name": "Westbrook College", "slug": "westbrook", "timezone": "Europe/London",
        "admin_email": "admin@westbrook.example"})
    assert response.status_code == 302, response.content.decode()[:2000]
    _made_with_issuer_and_invitation("westbrook", "admin@westbrook.example", "Europe/London")


def test_a_suspended_college_and_its_staff_see_why_and_its_badges_keep_verifying(
        client, platform_admin, alice, tenant_a, badge_a):
    award = issue_to_learner(tenant_a, badge_a)
    client.force_login(platform_admin)
    client.post(reverse("console:college_status", args=[tenant_a.public_id]), {"reason": "Invoice 2026-11 unpaid"})
    tenant_a.refresh_from_db()
    assert tenant_a.status == Tenant.Status.SUSPENDED
    assert tenant_a.status_reason == "Invoice 2026-11 unpaid"

    client.force_login(alice)
    dashboard = client.get(reverse("issuers:dashboard", args=[tenant_a.slug])).content.decode()
    assert "suspended" in dashboard
    assert "Invoice 2026-11 unpaid" in dashboard
    refused = client.post(reverse("issuers:api_keys", args=[tenant_a.slug]), {"name": "MIS"})
    assert refused.status_code == 403
    assert "Invoice 2026-11 unpaid" in refused.content.decode()
    assert client.get(f"/public/assertions/{award.public_id}", **LD).status_code == 200

    client.force_login(platform_admin)
    client.post(reverse("console:college_status", args=[tenant_a.public_id]), {"reason": "Paid"})
    tenant_a.refresh_from_db()
    assert tenant_a.is_active
    assert tenant_a.status_reason == "Paid"
    with tenant_scope(tenant_a):
        assert list(AuditEntry.objects.filter(action__startswith="tenant.").values_list("action", "summary"))[:2] == [
            ("tenant.active", "Paid"), ("tenant.suspended", "Invoice 2026-11 unpaid")]


def test_suspending_without_a_reason_is_refused(client, platform_admin, tenant_a):
    client.force_login(platform_admin)
    client.post(reverse("console:college_status", args=[tenant_a.public_id]), {"reason": ""})
    tenant_a.refresh_from_db()
    assert tenant_a.is_active


def test_the_list_searches_colleges(client, platform_admin, tenant_a, tenant_b):
    client.force_login(platform_admin)
    page = client.get(reverse("console:colleges"), {"q": "college b"}).content.decode()
    assert "College B" in page
    assert "College A" not in page
