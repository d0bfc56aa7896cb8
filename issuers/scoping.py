"""Tenant isolation that fails closed.

Every tenant-owned model uses ``TenantScopedManager``: a query made while no tenant scope is active
raises ``django_scopes.ScopeError`` instead of returning every tenant's rows. The scope is switched
on by ``issuers.context.tenant_context`` (with the college's time zone and the actor), which
``issuers.middleware.TenantScopeMiddleware`` (web UI and API), ``issuers.tasks.TenantTask`` (Celery)
and management commands that name their tenant enter.

The few places that legitimately read across tenants (public verification documents, a user's own
list of memberships, the platform admin) say so with ``unscoped("reason")``; the isolation test keeps
an allow-list of them, so a new one is reviewed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django_scopes import ScopedManager, ScopeError, get_scope, scope, scopes_disabled

if TYPE_CHECKING:
    from issuers.models import Tenant

__all__ = ["ScopeError", "TenantScopedManager", "current_tenant_id", "tenant_scope", "unscoped"]

_M = TypeVar("_M", bound=models.Model)

if TYPE_CHECKING:

    class TenantScopedManager(models.Manager[_M]):
        """What the type checker sees: a plain manager of the model it is declared on."""

else:

    class TenantScopedManager(type(ScopedManager(tenant="tenant"))):
        """The manager class ``django_scopes.ScopedManager(tenant="tenant")`` builds, under a name of its own.

        django_scopes builds the class inside a factory function; giving it an importable name lets the
        django-stubs mypy plugin find the manager (and the reverse managers) of every tenant-owned model.
        """


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[None]:
    """Run the block with queries of tenant-owned models restricted to ``tenant``."""
    if tenant is None or tenant.pk is None:
        # django-scopes treats a None value as "no filter"; refuse it so the scope fails closed.
        raise ScopeError("tenant_scope() needs a saved tenant, not None.")
    with scope(tenant=tenant.pk):
        yield


@contextmanager
def unscoped(reason: str) -> Iterator[None]:
    """Read across tenants on purpose. ``reason`` documents why, for the reviewed allow-list."""
    if not reason:
        raise ValueError("unscoped() needs a reason.")
    with scopes_disabled():
        yield


def current_tenant_id() -> int | None:
    value = get_scope().get("tenant")
    return value if isinstance(value, int) else None
