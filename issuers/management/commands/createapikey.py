from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from issuers.context import Actor, tenant_context
from issuers.models import Tenant
from issuers.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it (last line). Only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant_slug")
        parser.add_argument("--name", default="Command-line key")

    def handle(self, *args: Any, tenant_slug: str, name: str, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=tenant_slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {tenant_slug!r}.")
        with tenant_context(tenant, Actor(system="command createapikey")):
            key, secret = api_key_create(tenant=tenant, name=name)
        self.stdout.write(f"API key {key.prefix}… for {tenant.name}. Store it now; it is not shown again.")
        self.stdout.write(secret)
