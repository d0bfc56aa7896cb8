"""Writes of the Open Badges 3.0 API: a platform pushes a credential or changes the learner's name, and
the learner disconnects a platform. Each acts only for the learner whose token or session it is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken, clear_expired
from oauth2_provider.settings import oauth2_settings

from backpack import services as backpack
from backpack.models import BackpackEntry
from obapi.models import ClientUse

MAX_NAME = 150
ABANDONED_AFTER = timedelta(days=1)


def credential_upsert(*, user: Any, text: str) -> tuple[BackpackEntry, bool]:
    """Another platform pushes a credential into the learner's backpack: verified as an import is, and an
    earlier copy replaced. Returns the entry and whether it is new."""
    if not text.strip():
        raise ValidationError("The request body is empty: send the credential (JSON) or its VC-JWT (text/plain).")
    return backpack.badge_upsert(user=user, text=text)


def profile_update(*, user: Any, profile: Any) -> Any:
    """``PUT /profile``: the whole Profile comes; of it the learner's name is what a platform may change.
    The email address stays as the learner proved it (addresses are changed in the account, with a link)."""
    if not isinstance(profile, dict):
        raise ValidationError("Send the whole Profile as a JSON object.")
    types = profile.get("type")
    if "Profile" not in ([types] if isinstance(types, str) else types if isinstance(types, list) else []):
        raise ValidationError("The object's type must be Profile.")
    email = profile.get("email")
    if email is not None and (not isinstance(email, str) or email.strip().lower() != user.email.lower()):
        raise ValidationError("The email address cannot be changed here: the learner changes it in their account, "
                              "where the new address is proven first.")
    name = profile.get("name", "")
    if not isinstance(name, str):
        raise ValidationError("name must be a string.")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise ValidationError(f"name is too long ({MAX_NAME} characters at most).")
    if name != user.name:
        user.name = name
        user.save(update_fields=["name"])
    return user


@transaction.atomic
def platform_disconnect(*, user: Any, application: Application) -> int:
    """The learner takes a platform's access away: every token and code it holds for them ends now (the
    platform must ask again). Returns how many tokens ended."""
    refresh = RefreshToken.objects.filter(user=user, application=application)
    access = AccessToken.objects.filter(user=user, application=application)
    ended = access.count() + refresh.filter(revoked__isnull=True).count()
    refresh.delete()
    access.delete()
    Grant.objects.filter(user=user, application=application).delete()
    return ended


def tokens_expired_delete() -> None:
    """Expired access tokens, spent refresh tokens (past REFRESH_TOKEN_EXPIRE_SECONDS) and old codes go:
    DOT's own sweep, in its batches. A live connection is never touched."""
    clear_expired()


def client_use_record(*, application: Application) -> None:
    """A learner's token was issued to ``application``: it is in use, and is kept from now on."""
    ClientUse.objects.get_or_create(application=application)


def clients_abandoned_delete() -> int:
    """Registered clients (open RFC 7591 registration) older than a day that never got a learner's token
    and hold no code go, so abandoned registrations do not pile up; the registration's own management
    token does not count. Returns how many went."""
    learner_tokens = AccessToken.objects.filter(application=OuterRef("pk")).exclude(
        scope=oauth2_settings.DCR_REGISTRATION_SCOPE)
    abandoned = Application.objects.filter(created__lt=timezone.now() - ABANDONED_AFTER,
                                           obapi_use__isnull=True).exclude(
        Exists(learner_tokens)).exclude(Exists(RefreshToken.objects.filter(application=OuterRef("pk")))).exclude(
        Exists(Grant.objects.filter(application=OuterRef("pk")))).exclude(
        Exists(IDToken.objects.filter(application=OuterRef("pk"))))
    deleted, _ = abandoned.delete()
    return deleted
