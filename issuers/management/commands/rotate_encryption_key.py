from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from issuers.keys import reencrypt
from issuers.models import SigningKey
from issuers.scoping import unscoped


class Command(BaseCommand):
    help = "Re-encrypt every private signing key under the first key of KEY_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        with unscoped("platform maintenance: re-encrypt every tenant's signing keys"), transaction.atomic():
            keys = list(SigningKey.objects.select_for_update())
            for key in keys:
                key.private_key_encrypted = reencrypt(key.private_key_encrypted)
                key.save(update_fields=["private_key_encrypted"])
        self.stdout.write(f"Re-encrypted {len(keys)} signing key(s). The old encryption key can now be removed.")
