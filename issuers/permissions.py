"""Role checks for staff views. The tenant and membership come from ``TenantScopeMiddleware``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from issuers.models import Role

ANY_STAFF = (Role.ADMIN, Role.ISSUER, Role.VIEWER)
CAN_ISSUE = (Role.ADMIN, Role.ISSUER)


def role_required(*roles: str, hidden: bool = False) -> Callable:
    """Allow the view to members whose role is one of ``roles``: other members get 403, or 404 when
    ``hidden`` (a page that acts on one object, so that it answers a member who may not use it as it
    answers for an object they may not see, like every per-issuer refusal)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None:
                raise Http404("No such tenant.")
            if membership.role not in roles:
                if hidden:
                    raise Http404("No such page for your role.")
                raise PermissionDenied("Your role in this college does not allow this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def reads_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that answers POST without changing anything (the verifier): the middleware keeps it
    open to a suspended tenant, whose other writes it refuses."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


# The admin's own pages (staff, invitations, API keys, settings) and their actions on one object: 404 to
# every other member, tutors limited to an issuer included.
admin_only = role_required(Role.ADMIN, hidden=True)
