from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        # Lower layers announce changes to published documents through issuers.services; the
        # public-document cache (assertions.publication) is what listens.
        from assertions.publication import publication_changed
        from issuers.services import PUBLICATION_LISTENERS

        if publication_changed not in PUBLICATION_LISTENERS:
            PUBLICATION_LISTENERS.append(publication_changed)
