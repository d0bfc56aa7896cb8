from django.apps import AppConfig


class AssertionsConfig(AppConfig):
    name = "assertions"
