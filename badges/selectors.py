"""Reads of badge classes for staff pages: which ones a member may see, award and edit."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from badges.models import BadgeClass
from issuers.models import Issuer, Membership, Role
from issuers.permissions import CAN_ISSUE
from issuers.selectors import membership_issuers


def badge_classes_of(membership: Membership) -> QuerySet[BadgeClass]:
    """Every badge class (retired ones too) of the issuers this member may use: where staff pages
    look a badge class up by id, so a member limited to other issuers gets 404."""
    return BadgeClass.objects.filter(issuer__in=membership_issuers(membership)).select_related("issuer")


def badge_classes_visible(membership: Membership, *, search: str = "", retired: bool = False) -> QuerySet[BadgeClass]:
    """The badge classes of the issuers this member may use (an issuer-role member limited to some
    issuers sees only theirs), current ones unless ``retired``, filtered by ``search``."""
    badges = badge_classes_of(membership)
    badges = badges.filter(retired_at__isnull=not retired)
    search = search.strip()
    if search:
        badges = badges.filter(Q(name__icontains=search) | Q(description__icontains=search)
                               | Q(issuer__name__icontains=search) | Q(tags__icontains=search))
    return badges


def may_issue_for(membership: Membership, issuer: Issuer) -> bool:
    """Admins everywhere; issuer-role members for their issuers (all, when not limited); viewers never."""
    if membership.role not in CAN_ISSUE:
        return False
    if membership.role == Role.ADMIN:
        return True
    return membership_issuers(membership).filter(pk=issuer.pk).exists()


def audit_badge_choices(membership: Membership) -> list[tuple[str, str]]:
    """The badge classes the member sees, for the audit log's filter (issuers.audit.BADGE_CHOICES)."""
    return [(str(public_id), name) for public_id, name in
            badge_classes_of(membership).order_by("name").values_list("public_id", "name")]
