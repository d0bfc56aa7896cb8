"""Reads for pathway pages: what a learner has towards each pathway of the colleges that awarded them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.models import Membership
from issuers.scoping import unscoped
from issuers.selectors import membership_is_limited, membership_issuers
from pathways import requirements
from pathways.models import Cohort, Pathway, PathwayCompletion
from pathways.services import badge_version_ids


@dataclass
class LearnerProgress:
    pathway: Pathway
    progress: requirements.Progress
    description: str


def cohorts_of(membership: Membership) -> QuerySet[Cohort]:
    """The cohorts this member may see: a member limited to some issuers sees only those issuers'
    cohorts (not college-wide ones, whose learners may hold any issuer's badges)."""
    if membership_is_limited(membership):
        return Cohort.objects.filter(issuer__in=membership_issuers(membership))
    return Cohort.objects.all()


def pathways_of(membership: Membership) -> QuerySet[Pathway]:
    """The pathways this member may see: for a member limited to some issuers, only pathways made
    wholly of those issuers' badges (their completions name learners of every badge in them)."""
    pathways = Pathway.objects.select_related("capstone")
    if not membership_is_limited(membership):
        return pathways
    mine = BadgeClass.objects.filter(issuer__in=membership_issuers(membership))
    own = {str(p) for p in mine.values_list("public_id", flat=True)}
    own_pks = set(mine.values_list("pk", flat=True))
    allowed = [p.pk for p in pathways
               if requirements.badges_in(p.requirements) <= own and (p.capstone_id is None or p.capstone_id in own_pks)]
    return pathways.filter(pk__in=allowed)


def completions_of(membership: Membership) -> QuerySet[PathwayCompletion]:
    return PathwayCompletion.objects.filter(pathway__in=pathways_of(membership))


def requirement_names(pathway: Pathway) -> dict[str, str]:
    named = requirements.badges_in(pathway.requirements)
    return {str(p): n for p, n in BadgeClass.objects.filter(public_id__in=named).values_list("public_id", "name")}


def learner_progress(identities: Iterable[str]) -> list[LearnerProgress]:
    """For a learner's backpack: progress towards every pathway that counts one of their badges,
    across colleges. ``identities`` must be addresses the learner has proven."""
    identities = [i.lower() for i in identities]
    if not identities:
        return []
    with unscoped("a learner's own progress towards pathways of every college that awarded them"):
        held_ids = set(Assertion.objects.filter(recipient_identity__in=identities, revoked=False)
                       .values_list("badge_class_id", flat=True))
        if not held_ids:
            return []
        held = badge_version_ids(held_ids)
        tenants = set(BadgeClass.objects.filter(pk__in=held_ids).values_list("tenant_id", flat=True))
        out = []
        for pathway in Pathway.objects.filter(tenant_id__in=tenants).select_related("capstone", "tenant"):
            if not requirements.badges_in(pathway.requirements) & held:
                continue
            out.append(LearnerProgress(pathway, requirements.progress(pathway.requirements, held),
                                       requirements.describe(pathway.requirements, requirement_names(pathway))))
        return out
