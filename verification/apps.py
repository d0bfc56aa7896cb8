from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        # The public-document cache is this app's; the layers below announce changes to what a public
        # document shows through issuers.services.publication_notify.
        from issuers.services import PUBLICATION_LISTENERS
        from verification.publication import publication_changed

        PUBLICATION_LISTENERS.register(publication_changed)

        # An award deleted at the learner's request keeps its public id here, so its URLs answer 410.
        from assertions.services import ERASED
        from verification.publication import awards_erased

        ERASED.register(awards_erased)
