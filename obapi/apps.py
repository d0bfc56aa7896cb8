from typing import Any

from django.apps import AppConfig


class ObApiConfig(AppConfig):
    name = "obapi"
    verbose_name = "The Open Badges 3.0 API (learners' other platforms)"

    def ready(self) -> None:
        from oauth2_provider.signals import app_authorized

        app_authorized.connect(_token_issued, dispatch_uid="obapi-client-use")


def _token_issued(sender: Any, token: Any, **kwargs: Any) -> None:
    """django-oauth-toolkit issued a token (a code exchanged or a refresh): the client is in use."""
    from obapi.services import client_use_record

    if token.application_id is not None:
        client_use_record(application=token.application)
