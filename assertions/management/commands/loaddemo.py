"""A small demo college for `make run`. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from issuers.models import Issuer, Membership, Role
from issuers.scoping import tenant_scope
from issuers.services import _mark_email_verified, issuer_create, tenant_create

DEMO_PASSWORD = "demo-badges-2026"  # noqa: S105 - printed for the local demo; refused when DEBUG is off
DEMO_ADMIN = "admin@riverside.example"
DEMO_TUTOR = "tutor@riverside.example"


class Command(BaseCommand):
    help = "Load the Riverside College demo tenant (local development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("loaddemo creates accounts with a known password; it only runs with DEBUG on.")
        User = get_user_model()
        setup = tenant_create(slug="riverside", name="Riverside College", admin_email=DEMO_ADMIN,
                              admin_password=DEMO_PASSWORD)
        tenant = setup.tenant
        with tenant_scope(tenant):
            tutor = User.objects.filter(email=DEMO_TUTOR).first()
            if tutor is None:
                tutor = User.objects.create_user(DEMO_TUTOR, DEMO_PASSWORD, name="Sam Tutor")
                _mark_email_verified(tutor)
            Membership.objects.get_or_create(tenant=tenant, user=tutor, defaults={"role": Role.ISSUER})
            if not Issuer.objects.exists():
                issuer_create(tenant=tenant, name="Riverside College", url="https://riverside.example",
                              email="badges@riverside.example",
                              description="A further-education college on the river.")
        self.stdout.write("Demo college ready: http://127.0.0.1:8000/")
        self.stdout.write(f"  admin: {DEMO_ADMIN} / {DEMO_PASSWORD}")
        self.stdout.write(f"  tutor: {DEMO_TUTOR} / {DEMO_PASSWORD}")
