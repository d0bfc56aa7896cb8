"""The isolation sweep: every URL pattern that takes an object id, tried by the owner and by an outsider.

A new URL pattern with an object id fails ``test_every_object_url_is_covered`` until it is given an
object here (or put on the reviewed allow-list), so new URLs are covered automatically.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from issuers.models import ApiKey, AuditEntry, Invitation, Membership, Role, Tenant
from issuers.scoping import ScopeError, tenant_scope
from issuers.services import api_key_create, invitation_create, issuer_create, tenant_set_status
from pathways.models import Cohort
from tests.support import make_user, url_routes

# URL prefixes that do not belong to a tenant and are reviewed by hand:
#   /admin/       Django admin, superusers only (scoping switched off for them in the middleware)
#   /accounts/    allauth: secret keys in the URL (email confirmation, password reset)
#   /invitations/ the secret token names the tenant; covered by test_invitations.py
#   /platform/    platform admin (superusers only): tested below
#   /public/      public verification documents, read-only
#   /media/       local uploads (logos, badge images), served only with DEBUG on in `make run`
#   /colleges/    a college's public logo by its public id, read-only; tests/issuers/test_branding.py
#   /endorse/     an endorsement request's secret token names the tenant; tests/endorsements
#   /endorser/    an endorser's own endorsements, looked up by owner; tests/endorsements
#   /api/         the REST API, by tenant API key: its own sweep in tests/api/test_api_isolation.py
#   /backpack/    learners' pages, owned by users not tenants: learner sweep in tests/backpack/test_isolation.py
#   /claim/       the signed token names the award; covered by tests/backpack/test_claim.py
#   /s/ and /c/   share and collection pages, public by link and read-only; covered by tests/backpack/test_sharing.py
#   /pathways/    public pathway pages (what a pathway is made of, no learner data); tests/pathways/test_pages.py
#   /ims/         the Open Badges 3.0 API, by a learner's OAuth token (its user is the only one in reach) and
#                 its OAuth 2.0 server (DOT); tests/obapi (another learner's token sees nothing of mine)
#   /wallet/      OpenID4VCI: an offer link's or the email link's secret names one award, the token and
#                 credential endpoints take a secret code or token; tests/wallets/test_refusals.py
PUBLIC_OR_REVIEWED = ("admin/", "accounts/", "invitations/", "platform/", "public/", "media/", "colleges/", "endorse/",
                      "endorser/", "backpack/", "claim/", "s/", "c/", "api/", "pathways/", "ims/", "wallet/",
                      "lti/")  # lti/: what learning platforms call, each request proving itself (tests/lti)

# Every call of unscoped("why"), one line per call site (a reason used twice is listed twice), with its
# file. A new call fails the test below, even one that reuses a reason already listed.
UNSCOPED_ALLOW_LIST = [
    ("sso/selectors.py", "sign-in: the identity provider's key in the URL names the college"),
    ("sso/selectors.py", "sign-in: an address's domain names the college whose identity provider signs it in"),
    ("sso/selectors.py", "sign-in: allauth looks up the identity provider of a login URL among every college's"),
    ("sso/selectors.py", "sign-in: the domains whose addresses a college's identity provider may vouch for"),
    ("sso/selectors.py", "an email domain belongs to one college at most: checking the others' when an admin adds one"),
    ("sso/selectors.py", "sign-in: is this account on the staff of the college that requires single sign-on"),
    ("sso/selectors.py", "platform console: every college's email domain claims waiting for approval"),
    ("sso/selectors.py", "platform console: one email domain claim the platform decides on"),
    ("issuers/middleware.py", "platform admin: superusers manage every tenant in the Django admin"),
    ("issuers/selectors.py", "authenticating an API key: the key is what tells us the tenant"),
    ("issuers/selectors.py", "a user's own memberships across tenants, for the tenant switcher"),
    ("issuers/services.py", "an invitation link names its tenant by its secret token"),
    ("verification/views.py", "public verification documents: anyone may read a published badge"),
    ("verification/verifier.py", "verifying our own badges from the database, without HTTP"),
    ("verification/verifier.py", "verifying our own badges from the database, without HTTP"),
    ("verification/verifier.py", "verifying our own badges from the database, without HTTP"),  # revoked_at
    ("verification/ob3.py", "verifying our own badges from the database, without HTTP"),  # an OB 3.0 credential
    ("backpack/services.py", "baking a learner's own award as PNG for download, of any college"),
    ("verification/tasks.py", "recording an anonymous verification count, for our own badges and foreign ones"),
    ("verification/publication.py", "dropping cached public documents of a changed badge class or issuer"),
    ("verification/publication.py", "dropping the cached OB 3.0 status lists of changed awards"),
    # The issuer is named by its public id (a rotation in Settings or rotate_credential_key); it reads
    # only the highest status index, to know which status lists to drop.
    ("verification/publication.py", "dropping the cached documents an issuer's new key changes"),
    ("bench/issue_ob3.py", "benchmark: the cohort the issuing benchmark just made"),
    ("verification/publication.py", "dropping the cached documents of the badge classes of a changed issuer"),
    # The worker's fan-out of an award's follow-up runs with no tenant context (so with the database down it
    # still queues the tasks); it deletes only the announcement its message names, by id and tenant id.
    ("assertions/services.py", "an award's follow-up forgets its own announcement by id, with no tenant lookup"),
    ("assertions/tasks.py", "pipeline sweep: finds stuck work of every tenant, then enqueues it per tenant"),
    ("backpack/services.py", "a learner's own award as an Open Badges 3.0 credential, of any college"),
    ("backpack/selectors.py",
     "a learner's own awards across colleges: sent to their verified addresses or claimed by them"),
    ("backpack/selectors.py", "an award by its public id, of any college, for the pages its link opens (share, claim)"),
    ("backpack/services.py", "a learner claims an award sent to one of their verified addresses, of any college"),
    ("backpack/services.py",
     "baking a learner's own award for download when the worker has not yet, of any college"),
    ("backpack/services.py", "a deleted account is cleared from the awards it claimed, in every college"),
    ("backpack/tasks.py", "expiry reminders: awards of every college that expire soon, each reminded once"),
    ("pathways/tasks.py", "pathway reconcile: lists every tenant's pathways, then runs each in its tenant's task"),
    ("pathways/selectors.py", "a learner's own progress towards pathways of every college that awarded them"),
    ("pathways/views.py", "public pathway page: what a college's pathway is made of, readable by anyone"),
    ("endorsements/services.py", "an endorsement link names its tenant by its secret token"),
    ("endorsements/services.py", "an endorser's profile change republishes its endorsements of every college"),
    ("endorsements/services.py", "an endorser lists its own endorsements, of any college"),
    ("endorsements/services.py", "an endorser opens one of its own endorsements, of any college"),
    ("issuers/audit.py", "audit retention: entries older than the retention period, in every college"),
    ("issuers/management/commands/rotate_encryption_key.py",
     "platform maintenance: re-encrypt every tenant's signing keys"),
    ("console/selectors.py", "platform console: this month's usage figures of every college, counted per college"),
    ("console/selectors.py", "platform console: one college's usage figures by month"),
    ("console/selectors.py", "platform console: health figures across every college (emails, jobs, signing keys)"),
    ("webhooks/services.py", "webhook expiry scan: which colleges have an endpoint for expired awards"),
    ("webhooks/services.py",
     "webhook sweep: finds every college's due deliveries, then sends each in its tenant's task"),
    ("lti/tool.py", "an LTI message names its registration by issuer and client id, which tells the college"),
    ("lti/views.py", "a platform fetches the public key of its registration by the registration's id"),
    ("lti/views.py", "an OIDC login comes to the login URL of one registration, by its id"),
    ("lti/tasks.py", "LTI sync: lists the colleges with badge links, then syncs each in its tenant's task"),
    ("lti/services.py", "a platform's client id may be registered with one college only"),
    ("wallets/services.py", "a wallet redeems a pre-authorized code: the code names its award, of any college"),
    ("wallets/services.py", "a wallet's access token names the one award it may fetch, of any college"),
    ("wallets/selectors.py", "a wallet opens an offer link: its secret names one award, of any college"),
]

ROOT = Path(__file__).resolve().parents[2]



def object_url_patterns() -> list[tuple[str, URLPattern]]:
    found = []
    for route, pattern in url_routes():
        params = set(re.findall(r"<(?:\w+:)?(\w+)>", route)) - {"tenant_slug"}
        if params and not route.lstrip("^").startswith(PUBLIC_OR_REVIEWED):
            found.append((route, pattern))
    return found


def _objects_of(tenant, admin, outsider_email):
    """One real object of ``tenant`` for every URL name that takes an id."""
    with tenant_scope(tenant):
        teammate = Membership.objects.exclude(user=admin).first()
        invitation, _ = invitation_create(tenant=tenant, email=outsider_email, role="viewer", actor=admin)
        key, _ = api_key_create(tenant=tenant, name="sweep", actor=admin)
        issuer = tenant.issuers.first()
        request = _endorsement_request(tenant, issuer, admin)
    return {
        "issuers:member_edit": teammate.public_id,
        "issuers:member_remove": teammate.public_id,
        "issuers:invitation_revoke": invitation.public_id,
        "issuers:invitation_resend": invitation.public_id,
        "issuers:api_key_revoke": key.public_id,
        "issuers:issuer": issuer.public_id,
        "issuers:issuer_rotate_key": issuer.public_id,
        "credentials:key_rotate": issuer.public_id,
        "endorsements:request_revoke": request.public_id,
        "endorsements:request_resend": request.public_id,
        **(tutor := _tutor_objects(tenant, issuer, admin)),
        **_pathway_objects(tenant, admin),
        **_webhook_objects(tenant, admin),
        **_lti_objects(tenant),
        "pathways:cohort_from_job": tutor["assertions:job"],
    }


def _webhook_objects(tenant, admin):
    """Two endpoints (one to delete) and a delivery; a public address literal needs no DNS."""
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    with tenant_scope(tenant):
        kept, _ = endpoint_create(tenant=tenant, url="https://93.184.215.14/hook", events=["award.issued"], actor=admin)
        doomed, _ = endpoint_create(tenant=tenant, url="https://93.184.215.14/old", events=["award.issued"],
                                    actor=admin)
        delivery = WebhookDelivery.objects.create(tenant=tenant, endpoint=kept, event_type="award.issued",
                                                  event_key="sweep", payload={}, status="failed")
    return {"webhooks:endpoint": kept.public_id, "webhooks:endpoint_rotate": kept.public_id,
            "webhooks:endpoint_enable": kept.public_id, "webhooks:endpoint_disable": kept.public_id,
            "webhooks:endpoint_delete": doomed.public_id, "webhooks:delivery_resend": delivery.id}


def _lti_objects(tenant):
    from issuers.keys import generate_key_pair
    from lti.models import LtiRegistration

    public, private = generate_key_pair()
    with tenant_scope(tenant):
        registration = LtiRegistration.objects.create(
            tenant=tenant, name="Moodle", issuer=f"https://moodle.{tenant.slug}.example", client_id="sweep",
            auth_url="https://moodle.example/auth", token_url="https://moodle.example/token",
            keyset_url="https://moodle.example/jwks", public_key_pem=public, private_key_encrypted=private)
    return {"lti:registration": registration.public_id, "lti:registration_toggle": registration.public_id}


def _pathway_objects(tenant, admin):
    from badges.models import BadgeClass
    from pathways.models import PathwayCompletion
    from pathways.services import cohort_create, pathway_create

    with tenant_scope(tenant):
        badge = BadgeClass.objects.first()
        pathway = pathway_create(tenant=tenant, name="Sweep", tree={"badge": str(badge.public_id)}, retro_award=False)
        completion = PathwayCompletion.objects.create(tenant=tenant, pathway=pathway, learner_key="email:x@y.example",
                                                      flagged_at=timezone.now(), flag_reason="Sweep")
        cohort = cohort_create(tenant=tenant, name="Sweep", members=[("x@y.example", "X")], actor=admin)
    return {"pathways:detail": pathway.public_id, "pathways:completion_resolve": completion.public_id,
            "pathways:cohort": cohort.public_id}


def _tutor_objects(tenant, issuer, admin):
    """A badge class, an award and a cohort job, for the tutor's pages (badges/ and assertions/ URLs)."""
    from assertions.bulk import bulk_job_create, bulk_preview, rows_from_lines
    from badges.services import badge_class_create
    from tests.support import issue_one, png_bytes

    with tenant_scope(tenant):
        badge = badge_class_create(issuer=issuer, name="Sweep badge", description="Sweep", image=png_bytes(),
                                   criteria_narrative="Sweeps.", actor=admin)
        award = issue_one(badge_class=badge, recipient_identity="learner@sweep.example", actor=admin)
        job, _ = bulk_job_create(badge_class=badge, preview=bulk_preview(
            badge_class=badge, rows=rows_from_lines("cohort@sweep.example")), actor=admin, issue_now=False)
    ids = {"badge": badge.public_id, "award": award.public_id, "job": job.public_id}
    return {
        "badges:edit": ids["badge"], "badges:retire": ids["badge"],
        "assertions:badge": ids["badge"], "assertions:award": ids["badge"], "assertions:cohort": ids["badge"],
        "assertions:assertion": ids["award"], "assertions:assertion_status": ids["award"],
        "assertions:revoke": ids["award"], "assertions:resend": ids["award"], "assertions:correct": ids["award"],
        "assertions:job": ids["job"], "assertions:job_status": ids["job"], "assertions:job_start": ids["job"],
        "assertions:job_problems": ids["job"],
    }


def _endorsement_request(tenant, issuer, admin):
    from django.core.files.base import ContentFile

    from badges.models import BadgeClass
    from endorsements.services import endorsement_request_create

    badge = BadgeClass(tenant=tenant, issuer=issuer, name="Sweep", description="Sweep")
    badge.image.save("sweep.png", ContentFile(b"not checked here"), save=False)
    badge.save()
    request, _ = endorsement_request_create(badge_class=badge, email="endorser@elsewhere.example", actor=admin)
    return request


POST_ONLY = {"issuers:member_remove", "issuers:invitation_revoke", "issuers:invitation_resend",
             "issuers:api_key_revoke", "issuers:issuer_rotate_key", "endorsements:request_revoke",
             "endorsements:request_resend", "pathways:completion_resolve",
             "pathways:cohort_from_job",
             "badges:retire", "assertions:revoke",
             "assertions:resend", "assertions:correct", "assertions:job_start",
             "webhooks:endpoint_rotate", "webhooks:endpoint_enable", "webhooks:endpoint_disable",
             "webhooks:endpoint_delete", "webhooks:delivery_resend", "lti:registration_toggle"}


def _name(pattern: URLPattern, route: str) -> str:
    return pattern.full_name if pattern.name else route


@pytest.fixture
def sweep(tenant_a, tenant_b, alice, issuer_a):
    return _objects_of(tenant_a, alice, "invitee@elsewhere.example")


def test_every_object_url_is_covered(sweep):
    missing = [route for route, p in object_url_patterns() if _name(p, route) not in sweep]
    assert not missing, f"Give the isolation sweep an object for: {missing}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_on_every_object_url(client, sweep, charlie, tenant_a, tenant_b, method):
    client.force_login(charlie)
    for name, public_id in sweep.items():
        if method == "get" and name in POST_ONLY:
            continue  # the URL does not accept GET (405 before any lookup)
        # Tenant A's URL: charlie is not a member.
        url = reverse(name, args=[tenant_a.slug, public_id])
        assert getattr(client, method)(url).status_code == 404, url
        # His own tenant's URL with tenant A's object id: the scope cannot find it.
        url = reverse(name, args=[tenant_b.slug, public_id])
        assert getattr(client, method)(url).status_code == 404, url


# Pages only admins may use. A member with another role is refused before any lookup, whatever the id, with
# the 404 of every per-issuer refusal, so the answer says nothing about the object; the test checks an id
# that does not exist gets the same.
ADMIN_ONLY = {"issuers:member_edit", "issuers:member_remove", "issuers:invitation_revoke",
              "issuers:invitation_resend", "issuers:api_key_revoke", "issuers:issuer_rotate_key",
              "credentials:key_rotate",
              "endorsements:request_revoke", "endorsements:request_resend", "pathways:completion_resolve",
              "webhooks:endpoint", "webhooks:endpoint_rotate", "webhooks:endpoint_enable", "webhooks:endpoint_disable",
              "webhooks:endpoint_delete", "webhooks:delivery_resend", "lti:registration", "lti:registration_toggle"}


@pytest.fixture
def limited_tutor(tenant_a, alice):
    """A tutor of College A limited to its catering issuer: the sweep's objects are construction's."""
    user = make_user("lee@college-a.example")
    with tenant_scope(tenant_a):
        catering = issuer_create(tenant=tenant_a, name="College A Catering", url="https://a.example/catering",
                                 email="catering@a.example", actor=alice)
        membership = Membership.objects.create(tenant=tenant_a, user=user, role=Role.ISSUER)
        membership.issuers.set([catering])
    return user, catering


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_limited_to_another_issuer_gets_404_on_every_object_url(client, sweep, limited_tutor, tenant_a,
                                                                         method):
    client.force_login(limited_tutor[0])
    assert set(ADMIN_ONLY) <= set(sweep)
    for name, public_id in sweep.items():
        if method == "get" and name in POST_ONLY:
            continue  # the URL does not accept GET (405 before any lookup)
        response = getattr(client, method)(reverse(name, args=[tenant_a.slug, public_id]))
        assert response.status_code == 404, (name, response.status_code)
        if name in ADMIN_ONLY:
            unknown = getattr(client, method)(reverse(name, args=[tenant_a.slug, uuid.uuid4()]))
            assert unknown.status_code == 404, name
    with tenant_scope(tenant_a):
        assert not Cohort.objects.exclude(name="Sweep").exists()  # no cohort saved from another issuer's job


def test_a_member_limited_to_an_issuer_reaches_that_issuers_objects_and_lists_no_others(
        client, sweep, limited_tutor, tenant_a, alice):
    user, catering = limited_tutor
    own = _tutor_objects(tenant_a, catering, alice)
    client.force_login(user)
    for name, public_id in own.items():
        if name not in POST_ONLY:
            assert client.get(reverse(name, args=[tenant_a.slug, public_id])).status_code == 200, name
    assert client.get(reverse("issuers:issuer", args=[tenant_a.slug, catering.public_id])).status_code == 200
    response = client.post(reverse("pathways:cohort_from_job", args=[tenant_a.slug, own["assertions:job"]]),
                           {"name": "Catering 2026"})
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        saved = Cohort.objects.get(name="Catering 2026")
    assert saved.issuer == catering
    assert client.get(reverse("pathways:cohort", args=[tenant_a.slug, saved.public_id])).status_code == 200
    lists = {name: client.get(reverse(name, args=[tenant_a.slug])).content.decode()
             for name in ("pathways:cohorts", "pathways:list", "issuers:issuers", "assertions:dashboard")}
    assert "Catering 2026" in lists["pathways:cohorts"]
    assert str(sweep["pathways:cohort"]) not in lists["pathways:cohorts"]  # the college-wide cohort
    assert str(sweep["pathways:detail"]) not in lists["pathways:list"]
    assert "College A Catering" in lists["issuers:issuers"]
    assert "College A Construction" not in lists["issuers:issuers"]
    assert str(sweep["assertions:badge"]) not in lists["assertions:dashboard"]


def test_owner_reaches_every_object_url(client, sweep, alice, tenant_a):
    client.force_login(alice)
    for name, public_id in sweep.items():
        url = reverse(name, args=[tenant_a.slug, public_id])
        assert client.get(url).status_code == (405 if name in POST_ONLY else 200), url
    # And the POST-only actions work for the owner (last, since they change things).
    for name in sorted(POST_ONLY):
        response = client.post(reverse(name, args=[tenant_a.slug, sweep[name]]))
        assert response.status_code == 302, name
    with tenant_scope(tenant_a):
        assert ApiKey.objects.get(public_id=sweep["issuers:api_key_revoke"]).revoked_at is not None
        assert Invitation.objects.get(public_id=sweep["issuers:invitation_revoke"]).revoked_at is not None
        assert not Membership.objects.filter(public_id=sweep["issuers:member_remove"]).exists()


def staff_url_names() -> list[tuple[str, bool]]:
    """Every staff page under /t/<tenant_slug>/, as (URL name, whether it takes an object id)."""
    found = []
    for route, pattern in url_routes():
        if route.startswith("t/<slug:tenant_slug>/") and pattern.name:
            found.append((pattern.full_name, bool(set(re.findall(r"<(?:\w+:)?(\w+)>", route)) - {"tenant_slug"})))
    return sorted(set(found))


def _suspend(tenant):
    tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_staff_write_of_a_suspended_college_answers_403(client, sweep, alice, tenant_a, method):
    _suspend(tenant_a)
    with tenant_scope(tenant_a):
        audited = AuditEntry.objects.count()
    client.force_login(alice)  # the college's admin: every action would be hers to take
    names = staff_url_names()
    assert len(names) > len(sweep), "the staff URLs were not found"
    for name, takes_id in names:
        url = reverse(name, args=[tenant_a.slug, sweep[name]] if takes_id else [tenant_a.slug])
        response = getattr(client, method)(url, {"name": "Changed", "reason": "Sweep", "status": "active"})
        assert response.status_code == 403, (url, response.status_code)
        assert b"College A is suspended" in response.content, url
    with tenant_scope(tenant_a):
        assert AuditEntry.objects.count() == audited  # nothing was changed
        assert ApiKey.objects.get(public_id=sweep["issuers:api_key_revoke"]).revoked_at is None
        assert Membership.objects.filter(public_id=sweep["issuers:member_remove"]).exists()


def test_a_suspended_college_still_reads_every_staff_page(client, sweep, alice, tenant_a):
    _suspend(tenant_a)
    client.force_login(alice)
    for name, takes_id in staff_url_names():
        if name in POST_ONLY:
            continue
        url = reverse(name, args=[tenant_a.slug, sweep[name]] if takes_id else [tenant_a.slug])
        assert client.get(url).status_code == 200, url
    assert b"suspended" in client.get(reverse("issuers:dashboard", args=[tenant_a.slug])).content


def test_platform_pages_refuse_tenant_admins(client, charlie, tenant_a):
    client.force_login(charlie)
    assert client.get(reverse("console:colleges")).status_code == 403
    response = client.post(reverse("console:college_status", args=[tenant_a.public_id]), {"reason": "no"})
    assert response.status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.is_active


def test_query_without_a_scope_raises(tenant_a, issuer_a):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        ApiKey.objects.filter(tenant=tenant_a).count()


def test_scope_shows_only_its_own_tenant(tenant_a, tenant_b):
    with tenant_scope(tenant_b):
        assert {m.tenant_id for m in Membership.objects.all()} == {tenant_b.pk}


def test_scope_refuses_none():
    with pytest.raises(ScopeError), tenant_scope(None):
        pass


def unscoped_call_sites(root: Path) -> list[tuple[str, str]]:
    """``(file, reason)`` for every call of ``unscoped`` in the application code under ``root``."""
    found = []
    for path in sorted(root.glob("*/**/*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "tests/", "var/")) or rel == "issuers/scoping.py":
            continue
        text = path.read_text()
        assert "scopes_disabled(" not in text, f"use unscoped('why') in {rel}"
        reasons = re.findall(r'unscoped\(\s*"([^"]+)"', text)
        calls = re.findall(r"(?<!def )\bunscoped\(", text)
        assert len(calls) == len(reasons), f"every unscoped() in {rel} gives its reason as a string literal"
        found += [(rel, reason) for reason in reasons]
    return found


def test_every_call_that_switches_scoping_off_is_reviewed():
    assert sorted(unscoped_call_sites(ROOT)) == sorted(UNSCOPED_ALLOW_LIST)


def test_the_allow_list_counts_a_second_call_with_a_reason_already_listed(tmp_path):
    (tmp_path / "backpack").mkdir()
    reason = "a learner's own awards across colleges: sent to their verified addresses or claimed by them"
    (tmp_path / "backpack" / "selectors.py").write_text(
        f'with unscoped("{reason}"):\n    pass\nwith unscoped("{reason}"):\n    pass\n')
    assert unscoped_call_sites(tmp_path) == [("backpack/selectors.py", reason)] * 2


def test_api_key_sees_only_its_tenant(client, tenant_a, tenant_b, alice):
    with tenant_scope(tenant_a):
        _, secret = api_key_create(tenant=tenant_a, name="mis", actor=alice)
    response = client.get(reverse("api_tenant"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["slug"] == "college-a"
    assert client.get(reverse("api_tenant"), HTTP_AUTHORIZATION="Bearer bp_not-a-key").status_code == 401
    assert client.get(reverse("api_tenant")).status_code in {401, 403}


def test_revoked_api_key_is_refused(client, tenant_a, alice):
    with tenant_scope(tenant_a):
        key, secret = api_key_create(tenant=tenant_a, name="mis", actor=alice)
    client.force_login(alice)
    client.post(reverse("issuers:api_key_revoke", args=[tenant_a.slug, key.public_id]))
    assert client.get(reverse("api_tenant"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_user_of_two_tenants_can_switch(client, tenant_a, tenant_b):
    both = make_user("both@example.org")
    for t in (tenant_a, tenant_b):
        with tenant_scope(t):
            Membership.objects.create(tenant=t, user=both, role="viewer")
    client.force_login(both)
    home = client.get("/")
    assert b"College A" in home.content
    assert b"College B" in home.content
    assert b"College B" in client.get(reverse("issuers:dashboard", args=[tenant_b.slug])).content
    # The last tenant is remembered.
    assert client.get("/").url == reverse("issuers:dashboard", args=[tenant_b.slug])
