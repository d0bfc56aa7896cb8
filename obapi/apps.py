from django.apps import AppConfig


class ObApiConfig(AppConfig):
    name = "obapi"
    verbose_name = "The Open Badges 3.0 API (learners' other platforms)"
