from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pathways"

    def ready(self) -> None:
        # Awards issued and revoked are announced by assertions, a lower layer: have it tell these tasks.
        from assertions.events import ANNOUNCED
        from pathways.tasks import assertion_revoked, assertions_issued

        ANNOUNCED["issued"].register(assertions_issued)
        ANNOUNCED["revoked"].register(assertion_revoked)
