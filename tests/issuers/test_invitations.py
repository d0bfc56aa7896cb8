"""Tenant admins invite tutors; the link works once, for the invited address, until it expires."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from issuers.models import AuditEntry, Invitation, Membership, Role
from issuers.scoping import tenant_scope
from tests.support import make_user


def _invite(client, tenant, email: str, capture, role: str = Role.ISSUER) -> str:
    with capture(execute=True):
        response = client.post(reverse("issuers:staff", args=[tenant.slug]), {"email": email, "role": role})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == [email]
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)


pytestmark = pytest.mark.usefixtures("eager")  # every test here runs its tasks in this process


def test_admin_invites_tutor_who_accepts_and_sees_the_tenant(
    client, alice, tenant_a, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    link = _invite(client, tenant_a, "dana@college-a.example", django_capture_on_commit_callbacks)

    dana = make_user("dana@college-a.example")
    client.force_login(dana)
    assert client.get(reverse("issuers:dashboard", args=[tenant_a.slug])).status_code == 404
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    page = client.get(reverse("issuers:dashboard", args=[tenant_a.slug]))
    assert page.status_code == 200
    assert b"College A" in page.content
    with tenant_scope(tenant_a):
        assert Membership.objects.get(user=dana).role == Role.ISSUER
        assert AuditEntry.objects.filter(action="invitation.accept").exists()

    # The link works once.
    other = make_user("eve@college-a.example")
    client.force_login(other)
    assert client.post(link).status_code == 200
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=other).exists()


def test_invitation_cannot_be_accepted_by_another_address(
    client, alice, tenant_a, charlie, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    link = _invite(client, tenant_a, "dana@college-a.example", django_capture_on_commit_callbacks)
    client.force_login(charlie)
    response = client.post(link)
    assert response.status_code == 200
    assert b"was sent to dana@college-a.example" in response.content
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=charlie).exists()


def test_expired_invitation_is_refused(client, alice, tenant_a, django_capture_on_commit_callbacks):
    client.force_login(alice)
    link = _invite(client, tenant_a, "dana@college-a.example", django_capture_on_commit_callbacks)
    with tenant_scope(tenant_a):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    dana = make_user("dana@college-a.example")
    client.force_login(dana)
    assert b"expired" in client.post(link).content
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=dana).exists()


def test_an_invitation_to_a_suspended_college_cannot_be_accepted_and_says_why(
    client, alice, tenant_a, django_capture_on_commit_callbacks
):
    from issuers.models import Tenant
    from issuers.services import tenant_set_status

    client.force_login(alice)
    link = _invite(client, tenant_a, "dana@college-a.example", django_capture_on_commit_callbacks)
    tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
    dana = make_user("dana@college-a.example")
    client.force_login(dana)
    response = client.post(link)
    assert response.status_code == 200
    assert b"College A is suspended" in response.content
    with tenant_scope(tenant_a):
        assert not Membership.objects.filter(user=dana).exists()


def test_outsider_cannot_see_or_invite_to_another_tenant(client, charlie, tenant_a, tenant_b):
    client.force_login(charlie)
    assert client.get(reverse("issuers:staff", args=[tenant_a.slug])).status_code == 404
    response = client.post(reverse("issuers:staff", args=[tenant_a.slug]), {"email": "x@y.example", "role": "admin"})
    assert response.status_code == 404
    with tenant_scope(tenant_a):
        assert not Invitation.objects.exists()


def test_tutor_cannot_manage_staff(client, bob, tenant_a):
    client.force_login(bob)
    assert client.get(reverse("issuers:staff", args=[tenant_a.slug])).status_code == 404
    assert client.get(reverse("issuers:dashboard", args=[tenant_a.slug])).status_code == 200


def test_last_admin_cannot_demote_themselves(client, alice, tenant_a):
    client.force_login(alice)
    with tenant_scope(tenant_a):
        mine = Membership.objects.get(user=alice)
    response = client.post(reverse("issuers:member_edit", args=[tenant_a.slug, mine.public_id]), {"role": "viewer"})
    assert response.status_code == 200
    assert b"at least one admin" in response.content
