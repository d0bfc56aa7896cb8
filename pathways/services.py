"""Defining pathways and awarding their capstones, exactly once, through the one issuing service."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from assertions.models import Assertion, BulkJob
from assertions.services import Recipient, assertion_issue, holders
from badges.models import BadgeClass
from issuers.context import Actor, ActorLike, acting
from issuers.models import Issuer, Tenant
from issuers.scoping import current_tenant_id
from issuers.services import audit_record
from pathways import requirements
from pathways.events import COMPLETED
from pathways.models import Cohort, CohortMember, Pathway, PathwayCompletion

logger = logging.getLogger(__name__)


@transaction.atomic
def pathway_create(*, tenant: Tenant, name: str, description: str = "", tree: dict[str, Any],
                   capstone: BadgeClass | None = None, actor: ActorLike = None, retro_award: bool = True) -> Pathway:
    """A new pathway. ``tree`` names badge classes of this tenant by public id. Existing awards count:
    a background job awards the capstones already due."""
    if tenant.pk != current_tenant_id():
        raise PermissionDenied("This pathway belongs to another college.")
    if not name.strip():
        raise ValidationError("Give the pathway a name.")
    try:
        requirements.validate(tree)
    except requirements.RequirementError as exc:
        raise ValidationError(str(exc)) from None
    named = requirements.badges_in(tree)
    found = {str(b) for b in BadgeClass.objects.filter(public_id__in=named).values_list("public_id", flat=True)}
    if missing := named - found:
        raise ValidationError(f"These badges are not badges of {tenant.name}: {', '.join(sorted(missing))}.")
    if capstone is not None:
        if capstone.tenant_id != tenant.pk:
            raise ValidationError("The capstone must be a badge of this college.")
        if str(capstone.public_id) in named:
            raise ValidationError("The capstone cannot also be one of the requirements.")
    pathway = Pathway.objects.create(tenant=tenant, name=name.strip(), description=description, requirements=tree,
                                     capstone=capstone, retro_status="queued" if retro_award else "done",
                                     created_by=acting(actor).user)
    audit_record(tenant=tenant, action="pathway.create", actor=actor, obj=pathway, summary=name)
    if retro_award:
        from pathways.tasks import pathway_retro_award

        tenant_id, pathway_id = tenant.pk, pathway.pk
        transaction.on_commit(lambda: _enqueue(pathway_retro_award, tenant_id=tenant_id, pathway_id=pathway_id))
    return pathway


def _enqueue(task: Any, **kwargs: Any) -> None:
    try:
        task.delay(**kwargs)
    except Exception:  # noqa: BLE001 - broker down: the nightly reconcile finds what is due
        logger.warning("Broker unavailable: %s left for the reconcile", task.name, exc_info=True)


def learner(identity: str) -> tuple[str, set[str], str]:
    """``(key, identities, send_to)``: a learner with an account is every verified address of it, and
    their capstone goes to their primary address; otherwise the one address is the learner."""
    identity = identity.lower()
    owner = EmailAddress.objects.filter(email__iexact=identity, verified=True).values_list("user_id", flat=True).first()
    if owner is None:
        return f"email:{identity}", {identity}, identity
    addresses = list(EmailAddress.objects.filter(user_id=owner, verified=True).values_list("email", "primary"))
    primary = next((e for e, p in addresses if p), identity)
    return f"user:{owner}", {e.lower() for e, _ in addresses}, primary.lower()


def badge_version_ids(badge_ids: Iterable[int]) -> set[str]:
    """Public ids of every version of these badge classes: any version of a required badge counts.
    Walks the version chains outwards, one query per step (chains are short), never the whole table."""
    found = set(badge_ids)
    frontier = set(found)
    while frontier:
        step = BadgeClass.objects.filter(Q(pk__in=frontier) | Q(previous_version_id__in=frontier))
        linked = {x for pair in step.values_list("pk", "previous_version_id") for x in pair if x is not None}
        frontier = linked - found
        found |= frontier
    return {str(p) for p in BadgeClass.objects.filter(pk__in=found).values_list("public_id", flat=True)}


def held_badges(identities: Iterable[str]) -> set[str]:
    badge_ids = set(Assertion.objects.filter(recipient_identity__in=list(identities), revoked=False)
                    .values_list("badge_class_id", flat=True))
    return badge_version_ids(badge_ids)


def pathway_progress(*, pathway: Pathway, identity: str) -> requirements.Progress:
    _, identities, _ = learner(identity)
    return requirements.progress(pathway.requirements, held_badges(identities))


def pathway_check(*, pathway: Pathway, identity: str) -> Assertion | None:
    """Award the capstone if the learner now satisfies the pathway and has not completed it before.
    Safe under concurrent calls: the completion row is unique per learner, so one call wins."""
    key, identities, send_to = learner(identity)
    if not requirements.satisfied(pathway.requirements, held_badges(identities)):
        return None
    try:
        with transaction.atomic():
            completion = PathwayCompletion.objects.create(tenant=pathway.tenant, pathway=pathway, learner_key=key)
            capstone = None
            if (pathway.capstone is not None and pathway.capstone.retired_at is None
                    and not holders(badge_class=pathway.capstone, identities=identities)):  # not awarded by hand
                (capstone,) = assertion_issue(
                    badge_class=pathway.capstone, actor=Actor(system=f"pathway {pathway.name}"[:200]),
                    recipients=[Recipient(identity=send_to, name=_name(identities))],
                )
                completion.capstone = capstone
                completion.save(update_fields=["capstone"])
            for listener in COMPLETED:
                listener(completion)
            return capstone
    except IntegrityError:
        return None  # another worker completed it first


def _name(identities: set[str]) -> str:
    return (Assertion.objects.filter(recipient_identity__in=identities).exclude(recipient_name="")
            .order_by("-issued_on").values_list("recipient_name", flat=True).first() or "")


def pathways_after_issue(*, assertion_ids: Iterable[int]) -> int:
    """Check the pathways that the badges of these new awards belong to. Returns capstones awarded."""
    awarded = 0
    rows = list(Assertion.objects.filter(pk__in=list(assertion_ids), revoked=False)
                .values_list("recipient_identity", "badge_class_id"))
    if not rows:
        return 0
    versions = badge_version_ids({b for _, b in rows})
    pathways = [p for p in Pathway.objects.select_related("capstone", "tenant")
                if requirements.badges_in(p.requirements) & versions]
    for identity in {i for i, _ in rows}:
        for pathway in pathways:
            awarded += pathway_check(pathway=pathway, identity=identity) is not None
    return awarded


def pathways_after_revoke(*, assertion: Assertion) -> int:
    """A required badge was revoked: flag completions that no longer hold, for an admin to decide.
    The capstone itself is never revoked silently."""
    key, identities, _ = learner(assertion.recipient_identity)
    flagged = 0
    held = held_badges(identities)
    for completion in PathwayCompletion.objects.filter(learner_key=key, flagged_at=None).select_related("pathway"):
        if not requirements.satisfied(completion.pathway.requirements, held):
            completion.flagged_at = timezone.now()
            completion.flag_reason = (f"{assertion.badge_class.name} was revoked "
                                      f"({assertion.revocation_reason}): decide whether the capstone stands.")[:300]
            completion.save(update_fields=["flagged_at", "flag_reason"])
            audit_record(tenant=completion.tenant, action="pathway.flag", obj=completion.pathway,
                         summary=completion.flag_reason)
            flagged += 1
    return flagged


def pathway_retro_award(*, pathway: Pathway, chunk: int = 500, since: datetime | None = None) -> Pathway:
    """Award the capstones already due from awards made before the pathway existed, with progress.
    ``since`` (the nightly reconcile): only learners awarded one of its badges since then.

    Only candidates are checked (one query per learner each): learners not yet completed who hold at
    least as many of the named badges as the pathway needs, counted in one grouped query, and the
    addresses of accounts with several verified addresses (whose badges add up across them). The
    reconcile so costs what it finds to do, not a check of every holder of a big badge every night."""
    named = requirements.badges_in(pathway.requirements)
    badge_ids = _all_versions(list(BadgeClass.objects.filter(public_id__in=named).values_list("pk", flat=True)))
    identities = _candidates(pathway, badge_ids, since)
    Pathway.objects.filter(pk=pathway.pk).update(retro_status="running", retro_total=len(identities), retro_done=0)
    awarded = 0
    for start in range(0, len(identities), chunk):
        for identity in identities[start:start + chunk]:
            awarded += pathway_check(pathway=pathway, identity=identity) is not None
        Pathway.objects.filter(pk=pathway.pk).update(retro_done=min(len(identities), start + chunk),
                                                     retro_awarded=awarded)
    Pathway.objects.filter(pk=pathway.pk).update(retro_status="done", retro_done=len(identities),
                                                 retro_awarded=awarded)
    pathway.refresh_from_db()
    return pathway


def _candidates(pathway: Pathway, badge_ids: list[int], since: datetime | None) -> list[str]:
    awards = Assertion.objects.filter(badge_class_id__in=badge_ids, revoked=False)
    if since is not None:
        recent = set(awards.filter(created_at__gte=since).values_list("recipient_identity", flat=True))
        if not recent:
            return []
        awards = awards.filter(recipient_identity__in=recent)
    # Versions of one badge count twice here: a superset of the learners who may complete, never fewer.
    enough = set(awards.order_by().values("recipient_identity").annotate(n=Count("badge_class_id", distinct=True))
                 .filter(n__gte=requirements.fewest_badges(pathway.requirements))
                 .values_list("recipient_identity", flat=True))
    # An account's verified addresses add up: its addresses that hold any named badge are checked too.
    several = (EmailAddress.objects.filter(verified=True).values("user_id").annotate(n=Count("id"))
               .filter(n__gt=1).values("user_id"))
    shared = {e.lower() for e in EmailAddress.objects.filter(verified=True, user_id__in=several)
              .values_list("email", flat=True)}
    if shared:
        enough |= set(awards.filter(recipient_identity__in=shared).values_list("recipient_identity", flat=True))
    done = set(PathwayCompletion.objects.filter(pathway=pathway).values_list("learner_key", flat=True))
    done_users = [int(k[5:]) for k in done if k.startswith("user:")]
    done_addresses = {f"email:{e.lower()}" for e in EmailAddress.objects.filter(
        verified=True, user_id__in=done_users).values_list("email", flat=True)} if done_users else set()
    return sorted(i for i in enough if f"email:{i}" not in done and f"email:{i}" not in done_addresses)


def _all_versions(badge_ids: list[int]) -> list[int]:
    public = badge_version_ids(badge_ids)
    return list(BadgeClass.objects.filter(public_id__in=public).values_list("pk", flat=True))


@transaction.atomic
def pathway_flag_resolve(*, completion: PathwayCompletion, revoke_capstone: bool, actor: ActorLike = None) -> None:
    """The admin's decision on a flagged completion: keep the capstone, or revoke it."""
    from assertions.services import assertion_revoke

    if completion.flagged_at is None:
        raise ValidationError("This completion is not flagged.")
    if revoke_capstone and completion.capstone is not None:
        assertion_revoke(assertion=completion.capstone, actor=actor,
                         reason=f"A badge required for {completion.pathway.name} was revoked")
    audit_record(tenant=completion.tenant, action="pathway.flag_resolve", actor=actor, obj=completion.pathway,
                 summary=("Capstone revoked: " if revoke_capstone else "Capstone kept: ") + completion.flag_reason)
    completion.flagged_at = None
    completion.flag_reason = ""
    completion.save(update_fields=["flagged_at", "flag_reason"])


@transaction.atomic
def cohort_create(*, tenant: Tenant, name: str, members: Iterable[tuple[str, str]], issuer: Issuer | None = None,
                  actor: ActorLike = None) -> Cohort:
    """A named group of learners: ``members`` are (email, name) pairs; bad or repeated addresses are skipped.
    ``issuer`` is whose learners they are (None: the whole college's)."""
    from assertions.services import clean_identity

    if tenant.pk != current_tenant_id() or (issuer is not None and issuer.tenant_id != tenant.pk):
        raise PermissionDenied("This cohort belongs to another college.")
    if not name.strip():
        raise ValidationError("Give the cohort a name.")
    cohort = Cohort.objects.create(tenant=tenant, name=name.strip()[:200], issuer=issuer,
                                   created_by=acting(actor).user)
    seen: dict[str, str] = {}
    for email, learner_name in members:
        try:
            seen.setdefault(clean_identity(email), (learner_name or "").strip()[:200])
        except ValidationError:
            continue
    if not seen:
        raise ValidationError("The cohort has no valid email addresses.")
    CohortMember.objects.bulk_create([CohortMember(tenant=tenant, cohort=cohort, email=e, name=n)
                                      for e, n in seen.items()])
    audit_record(tenant=tenant, action="cohort.create", actor=actor, obj=cohort,
                 summary=f"{cohort.name}: {len(seen)} learners")
    return cohort


def cohort_from_job(*, job: BulkJob, name: str, actor: ActorLike = None) -> Cohort:
    """The learners of a cohort award, saved as a cohort of the job's issuer. The caller found ``job``
    among the jobs its member may reach (``assertions.selectors.bulk_jobs_of``)."""
    return cohort_create(tenant=job.tenant, name=name, members=[(r["email"], r.get("name", "")) for r in job.rows],
                         issuer=job.badge_class.issuer, actor=actor)


def cohort_progress(*, cohort: Cohort, pathway: Pathway) -> list[tuple[CohortMember, requirements.Progress, bool]]:
    """Each member's progress towards ``pathway``, and whether they completed it."""
    completed = set(PathwayCompletion.objects.filter(pathway=pathway).values_list("learner_key", flat=True))
    rows = []
    for member in cohort.members.all():
        key, identities, _ = learner(member.email)
        rows.append((member, requirements.progress(pathway.requirements, held_badges(identities)),
                     key in completed))
    return rows
