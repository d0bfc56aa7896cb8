from __future__ import annotations

from django.http import HttpRequest

from issuers.selectors import user_memberships


def tenant(request: HttpRequest) -> dict:
    """The current tenant (for branding) and the user's tenants (for the switcher)."""
    user = getattr(request, "user", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "my_memberships": (lambda: user_memberships(user)) if user is not None else list,
    }
