"""Request types for annotations. Never instantiated: Django builds the requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


class SignedInRequest(HttpRequest):
    """A request to a view behind ``login_required``: ``user`` is a signed-in ``User``, never anonymous."""

    user: User
