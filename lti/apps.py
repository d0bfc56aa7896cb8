from django.apps import AppConfig


class LtiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = "LTI 1.3 (learning platforms)"

    def ready(self) -> None:
        from issuers.keys import ENCRYPTED_KEY_MODELS
        from lti.models import LtiRegistration

        ENCRYPTED_KEY_MODELS.register(LtiRegistration)  # manage.py rotate_encryption_key re-encrypts its keys
