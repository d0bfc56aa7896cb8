from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Open Badges 3.0 credentials"

    def ready(self) -> None:
        # The Ed25519 keys are encrypted like the RSA keys; the key rotation command re-encrypts them too.
        from assertions.pipeline import BAKED
        from assertions.services import AWARD_FILES
        from credentials.models import CredentialKey, EndorserKey
        from credentials.services import credential_files, credentials_bake
        from issuers.keys import ENCRYPTED_KEY_MODELS

        ENCRYPTED_KEY_MODELS.register(CredentialKey)
        ENCRYPTED_KEY_MODELS.register(EndorserKey)
        # Every award's OB 3.0 image is baked by the worker right after its OB 2.0 image.
        BAKED.register(credentials_bake)
        # ... and deleted with it when the learner asks for the award to be erased.
        AWARD_FILES.register(credential_files)
