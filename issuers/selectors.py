"""Reads about tenants, memberships and keys."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from issuers import keycache
from issuers.models import ApiKey, Issuer, Membership, Role, Tenant
from issuers.scoping import unscoped

API_KEY_PREFIX = "bp_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ``last_used_at`` says when a key was last used, to the minute: written on every request it was an UPDATE
# and a commit (a wait for the disk) of its own in every API call, before the call's own work.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The live key whose hash matches ``raw_key``, with its tenant, or None. Updates ``last_used_at`` (to
    the minute). Remembered by the process while nothing has changed keys or tenants (``issuers.keycache``)."""
    if not raw_key.startswith(API_KEY_PREFIX) or len(raw_key) > 200:
        return None
    key_hash = hash_secret(raw_key)
    current = keycache.generation()  # before the read: a change after it starts another
    key = keycache.remembered(key_hash, current)
    with unscoped("authenticating an API key: the key is what tells us the tenant"):
        if key is None:
            # The hash is unique: no ORDER BY (first() would sort by the keys' ordering).
            key = next(iter(ApiKey.objects.select_related("tenant").filter(key_hash=key_hash).order_by()[:1]), None)
            if key is None or key.revoked_at is not None:
                return None
            keycache.remember(key_hash, key, current)
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
            keycache.used(key_hash, now)
    return key


def user_memberships(user: User | AnonymousUser) -> list[Membership]:
    """Every tenant the user is staff of, for the tenant switcher."""
    if not user.is_authenticated:
        return []
    with unscoped("a user's own memberships across tenants, for the tenant switcher"):
        return list(Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name"))


def user_has_mfa(user: User | AnonymousUser) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def membership_is_limited(membership: Membership) -> bool:
    """An issuer-role member limited to some issuers: they reach only those issuers' badges, awards,
    jobs, cohorts and pathways (see the ``*_of(membership)`` selectors of each app)."""
    return membership.role == Role.ISSUER and membership.issuers.exists()


def membership_issuers(membership: Membership) -> QuerySet[Issuer]:
    """The issuers a member may see and use (all of the tenant's unless limited). Every staff page
    that finds an issuer-owned object by id starts from this, through the apps' ``*_of`` selectors."""
    if membership_is_limited(membership):
        return membership.issuers.all()
    return Issuer.objects.all()


def tenant_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()
