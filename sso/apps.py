from django.apps import AppConfig


class SsoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sso"
    verbose_name = "Staff single sign-on"

    def ready(self) -> None:
        from issuers.keys import ENCRYPTED_KEY_MODELS
        from sso.models import SingleSignOn

        ENCRYPTED_KEY_MODELS.register(SingleSignOn)  # manage.py rotate_encryption_key re-encrypts its secrets
