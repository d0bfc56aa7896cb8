from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from credentials.keys import credential_key_rotate
from issuers.context import Actor, tenant_context
from issuers.models import Issuer, Tenant


class Command(BaseCommand):
    help = ("Rotate the Open Badges 3.0 (Ed25519) key of one issuer of a college, or of all its issuers: a new "
            "key signs from now on; the old ones stay in the DID document, so old credentials keep verifying. "
            "Audited as the command.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant_slug")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--issuer", help="the issuer's public id (its did:web ends with it)")
        which.add_argument("--all", action="store_true", help="every issuer of the college")

    def handle(self, *args: Any, tenant_slug: str, issuer: str | None, all: bool, **options: Any) -> None:  # noqa: A002
        tenant = Tenant.objects.filter(slug=tenant_slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {tenant_slug!r}.")
        with tenant_context(tenant, Actor(system="command rotate_credential_key")):
            issuers = Issuer.objects.filter(tenant=tenant).order_by("name", "pk")
            if issuer is not None:
                try:
                    issuers = issuers.filter(public_id=uuid.UUID(issuer))
                except ValueError as exc:
                    raise CommandError(f"{issuer!r} is not an issuer id.") from exc
            found = list(issuers)
            if not found:
                raise CommandError(f"No such issuer in {tenant.name}.")
            for one in found:
                key = credential_key_rotate(issuer=one, actor=None)
                self.stdout.write(f"{one.name}: new key {key.public_key_multibase}")
