"""A small demo college for `make run`. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_mark_email_verified
from assertions.models import Assertion
from assertions.services import Recipient, assertion_issue
from badges.designer import design_from, design_svg
from badges.models import BadgeClass
from badges.services import badge_class_create
from issuers.context import Actor, tenant_context
from issuers.models import Issuer, Membership, Role
from issuers.services import issuer_create, tenant_create

DEMO_PASSWORD = "demo-badges-2026"  # noqa: S105 - printed for the local demo; refused when DEBUG is off
DEMO_ADMIN = "admin@riverside.example"
DEMO_TUTOR = "tutor@riverside.example"
# The demo's badge images are made with the badge designer, as a tutor would make them in the browser.
DEMO_DESIGNS = {
    "Safe Working at Height": {"shape": "shield", "colour": "#1d4ed8", "accent": "#fbbf24", "icon": "hard-hat",
                               "line1": "Working at Height", "line2": "Level 1"},
    "Food Hygiene": {"shape": "circle", "colour": "#0f766e", "accent": "#ffffff", "icon": "chef-hat",
                     "line1": "Food Hygiene", "line2": "Level 2"},
}


def demo_image(name: str) -> bytes:
    return design_svg(design_from(DEMO_DESIGNS[name]))


class Command(BaseCommand):
    help = "Load the Riverside College demo tenant (local development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("loaddemo creates accounts with a known password; it only runs with DEBUG on.")
        User = get_user_model()
        setup = tenant_create(slug="riverside", name="Riverside College", admin_email=DEMO_ADMIN,
                              admin_password=DEMO_PASSWORD)
        tenant = setup.tenant
        with tenant_context(tenant, Actor(system="command loaddemo")):
            tutor = User.objects.filter(email=DEMO_TUTOR).first()
            if tutor is None:
                tutor = User.objects.create_user(DEMO_TUTOR, DEMO_PASSWORD, name="Sam Tutor")
                user_mark_email_verified(tutor)
            Membership.objects.get_or_create(tenant=tenant, user=tutor, defaults={"role": Role.ISSUER})
            if not Issuer.objects.exists():
                issuer_create(tenant=tenant, name="Riverside College", url="https://riverside.example",
                              email="badges@riverside.example",
                              description="A further-education college on the river.")
            issuer = Issuer.objects.first()
            assert issuer is not None  # made just above if there was none
            badge = BadgeClass.objects.filter(name="Safe Working at Height").first()
            if badge is None:
                badge = badge_class_create(
                    issuer=issuer, name="Safe Working at Height", image=demo_image("Safe Working at Height"),
                    description="Uses access equipment safely on a construction site.",
                    criteria_narrative="Erects and inspects a mobile tower under observation.",
                    alignments=[{"targetName": "Construction Skills L1",
                                 "targetUrl": "https://example.org/construction-l1"}],
                    tags=["construction", "health and safety"], validity_days=3 * 365,
                )
            if not BadgeClass.objects.filter(name="Food Hygiene").exists():
                badge_class_create(
                    issuer=issuer, name="Food Hygiene", image=demo_image("Food Hygiene"),
                    description="Prepares and stores food safely in a commercial kitchen.",
                    criteria_narrative="Passes the kitchen practical and the written food safety check.",
                    tags=["catering"], validity_days=3 * 365,
                )
            if not Assertion.objects.exists():
                for email, verification in (("learner@example.org", "hosted"), ("signed@example.org", "signed")):
                    assertion_issue(badge_class=badge, recipients=[Recipient(identity=email)],
                                    verification_type=verification)
            sample = Assertion.objects.order_by("created_at").first()
            assert sample is not None  # issued just above if there was none
        self.stdout.write("Demo college ready: http://127.0.0.1:8000/")
        self.stdout.write(f"  a demo badge: http://127.0.0.1:8000/public/assertions/{sample.public_id}")
        self.stdout.write(f"  admin: {DEMO_ADMIN} / {DEMO_PASSWORD}")
        self.stdout.write(f"  tutor: {DEMO_TUTOR} / {DEMO_PASSWORD}")
