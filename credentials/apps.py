from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Open Badges 3.0 credentials"

    def ready(self) -> None:
        # The Ed25519 keys are encrypted like the RSA keys; the key rotation command re-encrypts them too.
        from credentials.models import CredentialKey
        from issuers.keys import ENCRYPTED_KEY_MODELS

        ENCRYPTED_KEY_MODELS.register(CredentialKey)
