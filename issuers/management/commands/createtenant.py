from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from issuers.services import tenant_create


class Command(BaseCommand):
    help = ("Create a tenant (college), its first issuer profile, and invite or create its first admin. "
            "Safe to run again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="Create the admin account with this password instead of inviting.")
        parser.add_argument("--timezone", default="", help="What the college's dates mean (default Europe/London).")

    def handle(
        self, *args: Any, slug: str, name: str, admin_email: str, admin_password: str | None, timezone: str,
        **options: Any,
    ) -> None:
        try:
            setup = tenant_create(slug=slug, name=name, admin_email=admin_email, admin_password=admin_password,
                                  timezone_name=timezone, first_issuer=True)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Tenant {setup.tenant.slug} {'created' if setup.created else 'already exists'}.")
        if setup.admin is not None:
            self.stdout.write(f"Admin: {setup.admin.email}")
        elif setup.invitation_url:
            self.stdout.write(f"Invitation sent to {admin_email}: {setup.invitation_url}")
        else:
            self.stdout.write(f"An invitation to {admin_email} is already pending.")
