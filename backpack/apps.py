from django.apps import AppConfig


class BackpackConfig(AppConfig):
    name = "backpack"
    verbose_name = "Learners' backpacks"
