"""LTI 1.3 Advantage: registering a learning platform, placing badges in its courses, and turning the
platform's results into awards (README "LTI 1.3: awarding badges from Moodle or Canvas").

- A college admin pastes the college's registration URL (``registration_url``, signed, valid
  ``LTI_REGISTRATION_URL_DAYS``) into the platform; the platform opens it with its OpenID configuration
  and a registration token; ``registration_create`` reads the configuration, registers the tool there
  (LTI Dynamic Registration) and keeps the answer as an ``LtiRegistration`` of that college, with a key
  of its own encrypted at rest.
- A teacher's deep-linking launch picks a badge, an activity (an AGS line item of the course) and a rule;
  ``link_create`` records it as an ``LtiLink`` and the platform gets a resource link that carries its id.
- ``link_sync`` (every launch of the link, and the hourly beat task) reads the course's roster (NRPS) and
  the activity's results (AGS), and awards the badge through ``assertions.services.assertion_issue`` to
  each learner who meets the rule and has no ``LtiAward`` for the link yet: once per learner and badge.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from requests import RequestException

from assertions.services import AlreadyHolds, LimitReached, Recipient, assertion_issue
from badges.models import BadgeClass
from badges.services import badge_class_create
from issuers.branding import brand_of
from issuers.context import Actor, ActorLike
from issuers.keys import generate_key_pair
from issuers.models import Issuer, Tenant
from issuers.scoping import tenant_scope, unscoped
from issuers.services import audit_record
from lti.models import LtiAward, LtiLink, LtiRegistration
from lti.outbound import safe_session
from lti.tool import service_connector

logger = logging.getLogger(__name__)

_SALT = "lti-registration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
]
LEARNER_ROLES = ("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner", "Learner")


class LtiError(Exception):
    """Something the platform sent or answered that we cannot use; the message can be shown."""


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


# --- registration ----------------------------------------------------------------------------------


def registration_url(*, tenant: Tenant) -> str:
    """The URL a college admin pastes into Moodle or Canvas: it names the college, signed, so no one else
    can make one, and stops working after ``LTI_REGISTRATION_URL_DAYS``."""
    token = signing.TimestampSigner(salt=_SALT).sign(str(tenant.public_id))
    return absolute(reverse("lti:register", args=[token]))


def registration_url_tenant(token: str) -> Tenant:
    """The college a registration URL names. Raises LtiError for a forged, changed or expired one."""
    try:
        public_id = signing.TimestampSigner(salt=_SALT).unsign(
            token, max_age=settings.LTI_REGISTRATION_URL_DAYS * 86400)
    except signing.SignatureExpired as exc:
        raise LtiError("This registration URL has expired: copy a new one from Settings › LTI.") from exc
    except signing.BadSignature as exc:
        raise LtiError("This registration URL is not one of ours: copy it again from Settings › LTI.") from exc
    tenant = Tenant.objects.filter(public_id=public_id).first()
    if tenant is None:
        raise LtiError("The college of this registration URL no longer exists.")
    return tenant


def _get_json(session: Any, url: str, **kwargs: Any) -> dict:
    try:
        answer = session.request(kwargs.pop("method", "GET"), url, **kwargs)
    except RequestException as exc:
        raise LtiError(f"The platform could not be reached: {exc}") from exc
    if not answer.ok:
        raise LtiError(f"The platform answered {answer.status_code} at {url}.")
    try:
        found = answer.json()
    except ValueError as exc:
        raise LtiError(f"The platform's answer at {url} is not JSON.") from exc
    if not isinstance(found, dict):
        raise LtiError(f"The platform's answer at {url} is not a JSON object.")
    return found


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _tool_configuration(registration: LtiRegistration, platform: dict) -> dict:
    login = absolute(reverse("lti:login", args=[registration.public_id]))
    launch = absolute(reverse("lti:launch"))
    messages = [{"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": "Badge for this course"}]
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": login,
        "redirect_uris": [launch],
        "client_name": "Badge Platform",
        "jwks_uri": absolute(reverse("lti:jwks", args=[registration.public_id])),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(s for s in SCOPES if s in platform.get("scopes_supported", SCOPES)),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(settings.PUBLIC_BASE_URL).netloc,
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "email", "given_name", "family_name"],
            "messages": messages,
            "description": "Open Badges for what learners achieve in this course.",
        },
    }


def registration_create(*, tenant: Tenant, openid_configuration: str, registration_token: str) -> LtiRegistration:
    """LTI Dynamic Registration: read the platform's OpenID configuration, register the tool there and keep
    the answer as a registration of ``tenant``. Raises LtiError (shown to the admin in the platform)."""
    if not openid_configuration or not registration_token:
        raise LtiError("Open this URL from your platform's 'register a tool' page (LTI Dynamic Registration).")
    session = safe_session()
    bearer = {"Authorization": f"Bearer {registration_token}"}
    platform = _get_json(session, openid_configuration, headers=bearer)
    issuer = str(platform.get("issuer") or "")
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
    if not issuer or any(not isinstance(platform.get(k), str) for k in needed):
        raise LtiError("The platform's OpenID configuration lacks an issuer or one of its endpoints.")
    if not openid_configuration.startswith(issuer):  # the configuration must be the issuer's own
        raise LtiError("The platform's OpenID configuration is not served under its own issuer.")
    public_pem, private_encrypted = generate_key_pair()
    with tenant_scope(tenant):
        registration = LtiRegistration(
            tenant=tenant, issuer=issuer, auth_url=platform["authorization_endpoint"],
            token_url=platform["token_endpoint"], keyset_url=platform["jwks_uri"], public_key_pem=public_pem,
            private_key_encrypted=private_encrypted,
            name=str(_dict(platform.get(PLATFORM_CONFIGURATION)).get("product_family_code") or issuer)[:200])
        answer = _get_json(session, platform["registration_endpoint"], method="POST",
                           data=json.dumps(_tool_configuration(registration, platform)),
                           headers={**bearer, "Content-Type": "application/json", "Accept": "application/json"})
        client_id = str(answer.get("client_id") or "")
        if not client_id:
            raise LtiError("The platform's registration answer has no client_id.")
        deployment = _dict(answer.get(TOOL_CONFIGURATION)).get("deployment_id")
        registration.client_id = client_id
        registration.deployment_ids = [str(deployment)] if deployment else []
        with unscoped("a platform's client id may be registered with one college only"):
            taken = LtiRegistration.objects.filter(issuer=issuer, client_id=client_id).exclude(tenant=tenant).exists()
        if taken:
            raise LtiError("This platform registration already belongs to another college.")
        with transaction.atomic():
            LtiRegistration.objects.filter(issuer=issuer, client_id=client_id).delete()  # registered again
            registration.save()
            audit_record(tenant=tenant, action="lti.register", actor=Actor(system="LTI dynamic registration"),
                         obj=registration, label=str(registration))
    return registration


def registration_disable(*, registration: LtiRegistration, actor: ActorLike = None) -> None:
    """Launches and syncs through ``registration`` stop; its links stay, and an enable brings them back."""
    registration.disabled_at = timezone.now()
    with transaction.atomic():
        registration.save(update_fields=["disabled_at"])
        audit_record(tenant=registration.tenant, action="lti.disable", actor=actor, obj=registration,
                     label=str(registration))


def registration_enable(*, registration: LtiRegistration, actor: ActorLike = None) -> None:
    registration.disabled_at = None
    with transaction.atomic():
        registration.save(update_fields=["disabled_at"])
        audit_record(tenant=registration.tenant, action="lti.enable", actor=actor, obj=registration,
                     label=str(registration))


# --- links (deep linking) ------------------------------------------------------------------------------


def link_create(*, registration: LtiRegistration, deployment_id: str, context: dict, badge_class: BadgeClass,
                rule: str, min_score: int, lineitem: dict, memberships_url: str, teacher: str) -> LtiLink:
    """A badge placed in a course by a teacher's deep-linking launch, with its rule. The badge must be one
    of the registration's college (the launch cannot reach another's)."""
    if badge_class.tenant_id != registration.tenant_id or badge_class.retired_at is not None:
        raise ValidationError("Choose one of your college's current badges.")
    if rule not in LtiLink.Rule.values:
        raise ValidationError("Choose a rule: completed, or a score of at least some percent.")
    if rule == LtiLink.Rule.SCORE and not 0 < min_score <= 100:
        raise ValidationError("The score must be a percentage from 1 to 100.")
    if not lineitem.get("id") or not memberships_url:
        raise ValidationError("This course does not share its activities and roster with Badge Platform.")
    link = LtiLink(
        tenant=registration.tenant, registration=registration, deployment_id=deployment_id,
        context_id=str(context.get("id") or ""), context_title=str(context.get("title") or "")[:300],
        badge_class=badge_class, rule=rule, min_score=min_score if rule == LtiLink.Rule.SCORE else 0,
        lineitem_url=lineitem["id"], lineitem_label=str(lineitem.get("label") or "")[:300],
        memberships_url=memberships_url, created_by=teacher[:300])
    with transaction.atomic():
        link.save()
        audit_record(tenant=registration.tenant, action="lti.link", obj=link, label=str(link),
                     actor=Actor(system=f"LTI teacher {teacher} ({registration.name})"), badge=badge_class)
    return link


def link_badge_create(*, registration: LtiRegistration, name: str, description: str, course: str,
                      teacher: str) -> BadgeClass:
    """A new badge made from the picker by a teacher, of the college's first issuer, with a plain image in
    the college's colour (a tutor can give it a designed one later)."""
    name, description = name.strip()[:200], description.strip()
    if not name or not description:
        raise ValidationError("A new badge needs a name and a sentence on what it recognises.")
    issuer = Issuer.objects.filter(tenant=registration.tenant).order_by("created_at", "id").first()
    if issuer is None:
        raise ValidationError("Your college has no issuer yet: an admin adds one in Badge Platform first.")
    brand = brand_of(registration.tenant.primary_colour)
    initials = escape("".join(word[0] for word in name.split()[:2] if word[:1].isalnum()).upper() or "B")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">'
           f'<circle cx="200" cy="200" r="190" fill="{brand.colour}"/><text x="200" y="240" font-size="120" '
           f'text-anchor="middle" font-family="sans-serif" fill="{brand.text}">{initials}</text></svg>')
    return badge_class_create(issuer=issuer, name=name, description=description, image=svg.encode(),
                              criteria_narrative=f"Set in {course or 'a course'} by {teacher}.",
                              actor=Actor(system=f"LTI teacher {teacher} ({registration.name})"))


def course_lineitems(*, registration: LtiRegistration, lineitems_url: str) -> list[dict]:
    """The course's activities (AGS line items) a teacher can tie a badge to. Raises LtiError."""
    data = cast(Any, {"scope": SCOPES, "lineitems": lineitems_url})
    ags = AssignmentsGradesService(service_connector(registration), data)
    try:
        return [item for item in ags.get_lineitems() if isinstance(item, dict) and item.get("id")]
    except (LtiException, LtiServiceException, RequestException) as exc:
        raise LtiError("The platform did not list the course's activities.") from exc


# --- results to awards ------------------------------------------------------------------------------------


@dataclass
class LearnerRow:
    user_id: str
    name: str
    email: str
    percent: float | None  # None: no result yet
    meets: bool
    close: bool
    has_badge: bool


def _percent(result: dict) -> float | None:
    score = result.get("resultScore")
    if not isinstance(score, int | float):
        return None
    maximum = result.get("resultMaximum") or 1
    return 100.0 * float(score) / float(maximum) if isinstance(maximum, int | float) and maximum > 0 else None


def _rows(link: LtiLink, members: Sequence[Any], results: Sequence[Any]) -> list[LearnerRow]:
    by_user = {str(r.get("userId")): r for r in results if isinstance(r, dict)}
    awarded = set(LtiAward.objects.filter(link=link).values_list("lti_user_id", flat=True))
    rows = []
    for member in members:
        if not isinstance(member, dict):
            continue
        roles = member.get("roles") or []
        roles = roles if isinstance(roles, list) else []
        if member.get("status", "Active") != "Active" or not any(r in LEARNER_ROLES for r in roles):
            continue
        user_id = str(member.get("user_id") or "")
        percent = _percent(by_user[user_id]) if user_id in by_user else None
        if link.rule == LtiLink.Rule.SCORE:
            meets = percent is not None and percent >= link.min_score
            close = not meets and percent is not None and percent >= link.min_score - settings.LTI_CLOSE_POINTS
        else:
            meets, close = percent is not None, False
        rows.append(LearnerRow(user_id=user_id, name=str(member.get("name") or ""),
                               email=str(member.get("email") or ""), percent=percent, meets=meets, close=close,
                               has_badge=user_id in awarded))
    return _in_order(rows)


def _in_order(rows: list[LearnerRow]) -> list[LearnerRow]:
    """Who has the badge first, then who is close, then everyone else, by name."""
    return sorted(rows, key=lambda r: (not r.has_badge, not r.close, r.name.lower(), r.email))


def link_sync(*, link: LtiLink) -> list[LearnerRow]:
    """Read the roster and the activity's results, award the badge to each learner who meets the rule and
    has not had it through this link, and return the course's learners as the teacher sees them. A
    platform that fails is recorded on the link (``sync_error``) and raises LtiError."""
    connector = service_connector(link.registration)
    try:
        members = NamesRolesProvisioningService(
            connector, {"context_memberships_url": link.memberships_url}).get_members()
        data = cast(Any, {"scope": SCOPES, "lineitem": link.lineitem_url})
        results = AssignmentsGradesService(connector, data).get_grades()
    except (LtiException, LtiServiceException, RequestException) as exc:
        link.sync_error = "The platform did not share the course's roster or results."
        link.save(update_fields=["sync_error"])
        raise LtiError(link.sync_error) from exc
    rows = _rows(link, members, results)
    actor = Actor(system=f"LTI {link.registration.name}: {link.context_title or link.context_id}")
    for row in rows:
        if row.meets and not row.has_badge and row.email:
            row.has_badge = _award(link, row, actor)
    link.synced_at, link.sync_error = timezone.now(), ""
    link.save(update_fields=["synced_at", "sync_error"])
    return _in_order(rows)


def _award(link: LtiLink, row: LearnerRow, actor: Actor) -> bool:
    """One learner's award, once: the ``LtiAward`` row and the award commit together, and the row's unique
    key (link, learner) makes a second sync running at the same moment wait and then find it."""
    try:
        with transaction.atomic():
            LtiLink.objects.select_for_update().filter(pk=link.pk).first()
            if LtiAward.objects.filter(link=link, lti_user_id=row.user_id).exists():
                return True
            try:
                (assertion,) = assertion_issue(badge_class=link.badge_class, actor=actor,
                                               recipients=[Recipient(identity=row.email, name=row.name)])
            except AlreadyHolds:
                assertion = None  # awarded another way (a tutor, a cohort): the badge is theirs once
            LtiAward.objects.create(tenant=link.tenant, link=link, lti_user_id=row.user_id, email=row.email,
                                    assertion=assertion)
    except (ValidationError, LimitReached) as exc:
        logger.warning("LTI link %s: %s not awarded: %s", link.public_id, row.email, exc)
        return False
    return True


def links_sync_all() -> int:
    """The beat task's work for one college: every link of an enabled registration. Returns how many ran."""
    done = 0
    for link in LtiLink.objects.filter(registration__disabled_at=None).select_related("registration", "badge_class"):
        try:
            link_sync(link=link)
        except LtiError:
            logger.warning("LTI link %s could not be synced", link.public_id)
        done += 1
    return done
