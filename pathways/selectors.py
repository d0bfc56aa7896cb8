"""Reads for pathway pages: what a learner has towards each pathway of the colleges that awarded them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.scoping import unscoped
from pathways import requirements
from pathways.models import Pathway
from pathways.services import badge_version_ids


@dataclass
class LearnerProgress:
    pathway: Pathway
    progress: requirements.Progress
    description: str


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
