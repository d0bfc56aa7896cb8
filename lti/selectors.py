"""Reads of the LTI layer, in the request's tenant scope."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from issuers.models import Membership, Role
from lti.models import LtiAward, LtiLink, LtiRegistration


def registrations_of(membership: Membership) -> QuerySet[LtiRegistration]:
    """The college's registrations, for its admins only (everyone else: none, so any id is a 404)."""
    if membership.role != Role.ADMIN:
        return LtiRegistration.objects.none()
    return LtiRegistration.objects.filter(tenant=membership.tenant).annotate(link_count=Count("links"))


def links_of(registration: LtiRegistration) -> QuerySet[LtiLink]:
    return LtiLink.objects.filter(registration=registration).select_related("badge_class").annotate(
        award_count=Count("awards"))


def awards_of(link: LtiLink) -> QuerySet[LtiAward]:
    return LtiAward.objects.filter(link=link).order_by("created_at")
