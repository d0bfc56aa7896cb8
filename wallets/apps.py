from django.apps import AppConfig


class WalletsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wallets"
    verbose_name = "Digital wallets (OpenID4VCI)"

    def ready(self) -> None:
        # The backpack's badge page and the award email (lower layers) show what this app adds through
        # the registries they own (issuers.registry).
        from assertions.emails import AWARD_EMAIL_LINKS
        from backpack.panels import AWARD_RECORDS, BADGE_PANELS
        from wallets import pages

        BADGE_PANELS.register(pages.badge_panel)
        AWARD_EMAIL_LINKS.register(pages.email_link)
        AWARD_RECORDS.register(pages.award_records)
