"""Defining pathways and awarding their capstones, exactly once, through the one issuing service."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Upper
from django.utils import timezone

from assertions.models import Assertion, BulkJob
from assertions.services import Recipient, assertion_issue, holders
from badges.models import BadgeClass
from issuers.context import Actor, ActorLike, acting
from issuers.models import Issuer, Tenant
from issuers.rows import rows_update
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
    found = _learners([identity])[identity.lower()]
    return found.key, set(found.identities), found.send_to


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
    awarded = pathway_check_many(pathway=pathway, identities=[identity])
    return awarded[0] if awarded else None


@dataclass(frozen=True)
class _Learner:
    key: str
    identities: frozenset[str]
    send_to: str


def _learners(identities: Iterable[str]) -> dict[str, _Learner]:
    """``learner()`` for many identities at once, in two queries (each identity's key, addresses and the
    address a capstone goes to)."""
    wanted = sorted({i.lower() for i in identities})
    owners = _owners(wanted)
    addresses: dict[int, list[tuple[str, bool]]] = {}
    for user_id, email, primary in EmailAddress.objects.filter(
            user_id__in=set(owners.values()), verified=True).values_list("user_id", "email", "primary"):
        addresses.setdefault(user_id, []).append((email, primary))
    found = {}
    for identity in wanted:
        owner = owners.get(identity)
        if owner is None:
            found[identity] = _Learner(f"email:{identity}", frozenset({identity}), identity)
        else:
            mine = addresses.get(owner, [])
            primary = next((e for e, p in mine if p), identity)
            found[identity] = _Learner(f"user:{owner}", frozenset(e.lower() for e, _ in mine) | {identity},
                                       primary.lower())
    return found


def _owners(identities: Sequence[str]) -> dict[str, int]:
    """Lower-cased address -> the account whose verified address it is, for these (lower-cased) identities:
    ``UPPER(email) IN (...)``, which the case-insensitive index of addresses answers in one scan per 1,000.
    An address that is not plain ASCII is matched as ``email__iexact`` does (the database's UPPER)."""
    owners: dict[str, int] = {}
    for start in range(0, len(identities), 1000):
        chunk = identities[start:start + 1000]
        match = Q(upper__in=[i.upper() for i in chunk if i.isascii()])
        for identity in (i for i in chunk if not i.isascii()):
            match |= Q(email__iexact=identity)
        for email, user_id in (EmailAddress.objects.filter(verified=True).annotate(upper=Upper("email"))
                               .filter(match).values_list("email", "user_id")):
            owners.setdefault(email.lower(), user_id)
    return owners


def _named_versions(pathway: Pathway) -> dict[int, set[str]]:
    """Badge class id -> the badges the pathway names (public ids) that holding it counts as: any version
    of a named badge counts."""
    counts: dict[int, set[str]] = {}
    for named in requirements.badges_in(pathway.requirements):
        first = BadgeClass.objects.filter(public_id=named).values_list("pk", flat=True).first()
        if first is not None:
            for pk in _all_versions([first]):
                counts.setdefault(pk, set()).add(named)
    return counts


def pathway_check_many(*, pathway: Pathway, identities: Iterable[str]) -> list[Assertion]:
    """``pathway_check`` for many learners at once (a retro-award chunk, the learners of a cohort's chunk):
    who they are, what they hold and who has completed already, each read once for all of them, then the
    capstones of those now due issued in one call of the issuing service. Returns the capstones awarded.
    As safe under concurrent calls as one check: a learner's completion row is unique, and a learner
    another call completed first is left out (in a savepoint of its own)."""
    learners = list({lrn.key: lrn for lrn in _learners(identities).values()}.values())
    if not learners:
        return []
    versions = _named_versions(pathway)
    every = sorted({i for lrn in learners for i in lrn.identities})
    held: dict[str, set[str]] = {}
    for start in range(0, len(every), 2000):
        for identity, badge_id in (Assertion.objects.filter(
                badge_class_id__in=list(versions), revoked=False, recipient_identity__in=every[start:start + 2000])
                .order_by().values_list("recipient_identity", "badge_class_id")):
            held.setdefault(identity.lower(), set()).update(versions[badge_id])
    due = [lrn for lrn in learners
           if requirements.satisfied(pathway.requirements, set().union(*(held.get(i, set()) for i in lrn.identities)))]
    if not due:
        return []
    done = set(PathwayCompletion.objects.filter(pathway=pathway, learner_key__in=[lrn.key for lrn in due])
               .values_list("learner_key", flat=True))
    due = [lrn for lrn in due if lrn.key not in done]
    if not due:
        return []
    with transaction.atomic():
        completed = _completions_record(pathway, due)
        capstones: dict[str, Assertion] = {}
        capstone = pathway.capstone
        if capstone is not None and capstone.retired_at is None and completed:
            # Not awarded by hand already: any of the learner's addresses holding the capstone.
            holding = holders(badge_class=capstone, identities={i for lrn, _ in completed for i in lrn.identities})
            names = _names({i for lrn, _ in completed for i in lrn.identities})
            recipients = [Recipient(identity=lrn.send_to, name=_name_of(lrn, names)) for lrn, _ in completed
                          if not lrn.identities & holding]
            if recipients:
                issued = assertion_issue(badge_class=capstone, actor=Actor(system=f"pathway {pathway.name}"[:200]),
                                         recipients=recipients)
                capstones = {a.recipient_identity.lower(): a for a in issued}
        with_capstone = []
        for lrn, completion in completed:
            completion.capstone = capstones.get(lrn.send_to)
            if completion.capstone is not None:
                with_capstone.append(completion)
        rows_update(PathwayCompletion, "capstone", [(c.pk, c.capstone_id) for c in with_capstone])
        if completed:
            for listener in COMPLETED:
                listener([completion for _, completion in completed])
    return [capstones[lrn.send_to] for lrn, _ in completed if lrn.send_to in capstones]


def _completions_record(pathway: Pathway, due: list[_Learner]) -> list[tuple[_Learner, PathwayCompletion]]:
    """Each learner's completion row, unique per learner: in one INSERT, or, if another worker completed one
    of them meanwhile, one by one, leaving out those completed first."""
    try:
        with transaction.atomic():
            made = PathwayCompletion.objects.bulk_create(
                [PathwayCompletion(tenant=pathway.tenant, pathway=pathway, learner_key=lrn.key) for lrn in due])
        return list(zip(due, made, strict=True))
    except IntegrityError:
        pass
    completed = []
    for lrn in due:
        try:
            with transaction.atomic():
                completed.append((lrn, PathwayCompletion.objects.create(
                    tenant=pathway.tenant, pathway=pathway, learner_key=lrn.key)))
        except IntegrityError:
            continue  # another worker completed it first
    return completed


def _names(identities: set[str]) -> dict[str, tuple[Any, str]]:
    """Identity -> (issued on, name) of its newest award that names the learner."""
    newest: dict[str, tuple[Any, str]] = {}
    every = sorted(identities)
    for start in range(0, len(every), 2000):
        for identity, issued_on, name in (Assertion.objects.filter(recipient_identity__in=every[start:start + 2000])
                                          .exclude(recipient_name="").order_by()
                                          .values_list("recipient_identity", "issued_on", "recipient_name")):
            key = identity.lower()
            if key not in newest or issued_on > newest[key][0]:
                newest[key] = (issued_on, name)
    return newest


def _name_of(learner: _Learner, names: dict[str, tuple[Any, str]]) -> str:
    known = [names[i] for i in learner.identities if i in names]
    return max(known, key=lambda found: found[0])[1] if known else ""


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
    identities = {i.lower() for i, _ in rows}
    for pathway in pathways:
        # Only those who may now complete it: a cohort of new learners, each holding one badge of a
        # pathway of three, costs a few queries, not a check each.
        named = requirements.badges_in(pathway.requirements)
        badge_ids = _all_versions(list(BadgeClass.objects.filter(public_id__in=named).values_list("pk", flat=True)))
        candidates = _candidates(pathway, badge_ids, since=None, among=identities)
        for start in range(0, len(candidates), 500):
            awarded += len(pathway_check_many(pathway=pathway, identities=candidates[start:start + 500]))
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
        awarded += len(pathway_check_many(pathway=pathway, identities=identities[start:start + chunk]))
        Pathway.objects.filter(pk=pathway.pk).update(retro_done=min(len(identities), start + chunk),
                                                     retro_awarded=awarded)
    Pathway.objects.filter(pk=pathway.pk).update(retro_status="done", retro_done=len(identities),
                                                 retro_awarded=awarded)
    pathway.refresh_from_db()
    return pathway


# Up to this many learners, their own accounts are looked up (an index scan per 1,000); past it, one
# grouped scan of every verified address costs less.
AMONG_OWNERS_MAX = 20_000


def _candidates(pathway: Pathway, badge_ids: list[int], since: datetime | None,
                among: set[str] | None = None) -> list[str]:
    """Learners who may complete the pathway (see ``pathway_retro_award``); ``among``: only these."""
    # Unordered: the awards' default order (newest first) made PostgreSQL sort what a set needs no order for.
    awards = Assertion.objects.filter(badge_class_id__in=badge_ids, revoked=False).order_by()
    if since is not None:
        recent = set(awards.filter(created_at__gte=since).values_list("recipient_identity", flat=True))
        among = recent if among is None else among & recent
    if among is not None:
        if not among:
            return []
        awards = awards.filter(recipient_identity__in=among)
    # Versions of one badge count twice here: a superset of the learners who may complete, never fewer.
    enough = set(awards.order_by().values("recipient_identity").annotate(n=Count("badge_class_id", distinct=True))
                 .filter(n__gte=requirements.fewest_badges(pathway.requirements))
                 .values_list("recipient_identity", flat=True))
    # An account's verified addresses add up: its addresses that hold any named badge are checked too.
    # Among some learners, only their own accounts are looked at, not every account with several.
    addresses = EmailAddress.objects.filter(verified=True)
    if among is not None and len(among) <= AMONG_OWNERS_MAX:
        addresses = addresses.filter(user_id__in=set(_owners(sorted(among)).values()))
    several = addresses.values("user_id").annotate(n=Count("id")).filter(n__gt=1).values("user_id")
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
