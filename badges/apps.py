from django.apps import AppConfig


class BadgesConfig(AppConfig):
    name = "badges"

    def ready(self) -> None:
        # Uploads in the layer below (a college's logo) pass the badge image checks: tell it how.
        from badges.images import validate_badge_image
        from issuers.services import IMAGE_CHECKS

        IMAGE_CHECKS.register(validate_badge_image)

        from badges.selectors import audit_badge_choices
        from issuers.audit import BADGE_CHOICES

        BADGE_CHOICES.register(audit_badge_choices)
