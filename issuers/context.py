"""Acting for a college: one context, entered the same way everywhere.

``tenant_context(tenant, actor)`` switches on everything that belongs to "acting for this college":
the django-scopes scope (tenant-owned queries are limited to it, see ``issuers.scoping``), the
college's time zone (what a date on a page means), and who is acting (``Actor``); language and
branding go here when they need it. The staff middleware, the API authentication, ``TenantTask``
and the management commands enter it, and nothing else sets those parts separately. A task
enqueued inside a context carries its actor, so the worker runs with the context of the request
that enqueued it (``TenantTask``), and the request's id with it, so a task's log lines name the
request that queued it (``request_id_bound``, entered by the request-logging middleware).

``Actor`` is who acts: a staff user, an API key, or the system (the pathway worker, a sweep, a
command), with the one label the audit log, the bulk job and the API show ("API key bp_xxxx").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from issuers.models import ApiKey, Tenant
from issuers.scoping import tenant_scope


@dataclass(frozen=True)
class Actor:
    """Who acts. Exactly one of ``user`` (a staff member), ``api_key`` or ``system`` (what the system
    is doing, e.g. "pathway Hospitality Ready") is set; ``Actor()`` is the system, unnamed."""

    user: User | None = None
    api_key: ApiKey | None = None
    system: str = ""

    @classmethod
    def of(cls, value: ActorLike) -> Actor:
        """The actor for what callers pass as ``actor=``: an ``Actor``, a user, an API key, or nothing (the system)."""
        if isinstance(value, Actor):
            return value
        if isinstance(value, ApiKey):
            return cls(api_key=value)
        if isinstance(value, User) and value.is_authenticated:  # a lazy request.user passes isinstance too
            return cls(user=value)
        return cls()

    @property
    def label(self) -> str:
        """The one way an actor is named: the user's email, "API key bp_xxxx", or what the system does."""
        if self.user is not None:
            return self.user.email
        if self.api_key is not None:
            return f"API key {self.api_key.prefix}"
        return self.system or "system"

    def as_message(self) -> dict[str, Any]:
        """Ids only, for a task's message (``from_message`` loads them again in the worker)."""
        if self.user is not None:
            return {"user": self.user.pk}
        if self.api_key is not None:
            return {"api_key": self.api_key.pk}
        return {"system": self.system}

    @classmethod
    def from_message(cls, data: dict[str, Any] | None) -> Actor:
        data = data or {}
        if data.get("user") is not None:
            user = User.objects.filter(pk=data["user"]).first()
            return cls(user=user) if user is not None else cls(system="a deleted user")
        if data.get("api_key") is not None:
            key = ApiKey.objects.filter(pk=data["api_key"]).first()
            return cls(api_key=key) if key is not None else cls(system="a deleted API key")
        return cls(system=str(data.get("system") or ""))


# What callers pass as ``actor=``: an Actor, or the user or API key it stands for; None (or an anonymous
# user) is the system.
ActorLike = Actor | User | AnonymousUser | ApiKey | None


@dataclass(frozen=True)
class TenantContext:
    tenant: Tenant
    actor: Actor


_current: ContextVar[TenantContext | None] = ContextVar("tenant_context", default=None)
_request_id: ContextVar[str] = ContextVar("request_id", default="")


@contextmanager
def request_id_bound(request_id: str) -> Iterator[None]:
    """The id of the request being served (or of the one that queued the task being run) for the block."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def tenant_context(tenant: Tenant, actor: ActorLike = None) -> Iterator[TenantContext]:
    """Act for ``tenant`` as ``actor`` for the block: its scope, its time zone and its actor together."""
    context = TenantContext(tenant=tenant, actor=Actor.of(actor))
    token = _current.set(context)
    try:
        with tenant_scope(tenant), timezone.override(tenant.zone):
            yield context
    finally:
        _current.reset(token)


def current_context() -> TenantContext | None:
    return _current.get()


def current_actor() -> Actor:
    """Who is acting in the current context; the system when there is none."""
    context = _current.get()
    return context.actor if context is not None else Actor()


def acting(actor: ActorLike) -> Actor:
    """What a service's ``actor=`` stands for: the actor it names, or the current context's when it names none."""
    return Actor.of(actor) if actor is not None else current_actor()
