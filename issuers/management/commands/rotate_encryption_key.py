from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from issuers.keys import ENCRYPTED_KEY_MODELS, reencrypt
from issuers.models import SigningKey
from issuers.scoping import unscoped


class Command(BaseCommand):
    help = "Re-encrypt every signing key and stored secret under the first key of KEY_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        with unscoped("platform maintenance: re-encrypt every tenant's signing keys"), transaction.atomic():
            count = 0
            for model in (SigningKey, *ENCRYPTED_KEY_MODELS):
                fields = list(getattr(model, "ENCRYPTED_FIELDS", ["private_key_encrypted"]))
                for key in model._default_manager.select_for_update():
                    for name in fields:
                        if getattr(key, name):  # an optional one may be empty
                            setattr(key, name, reencrypt(getattr(key, name)))
                    key.save(update_fields=fields)
                    count += 1
        self.stdout.write(f"Re-encrypted {count} signing key(s) and secret(s). The old encryption key can now be "
                          "removed.")
