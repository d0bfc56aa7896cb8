"""What the Open Badges 3.0 API keeps beside django-oauth-toolkit's own tables."""

from __future__ import annotations

from django.db import models
from oauth2_provider.models import Application


class ClientUse(models.Model):
    """A registered client that has had a learner's token at least once: kept when its every connection
    ends, where a registration that never got a token is deleted after a day."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, primary_key=True,
                                       related_name="obapi_use")
    first_token_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.application_id} first token {self.first_token_at}"
