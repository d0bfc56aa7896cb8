"""Behaviour that used to be inline handlers, now declared with data- attributes (static/js/app.js) so
that the Content-Security-Policy can forbid inline script: it still works in a real browser."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.browser.support import log_in
from tests.support import png_bytes

pytestmark = pytest.mark.browser


def test_retiring_a_badge_asks_first_and_a_no_keeps_it(live_server, transactional_db, page, alice, tenant_a,
                                                        issuer_a):
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Safe Scaffolding", description="Scaffolds.")
        badge.image.save("s.png", ContentFile(png_bytes()), save=False)
        badge.save()
    base = live_server.url
    log_in(page, base, alice.email)
    page.wait_for_url(f"{base}/t/{tenant_a.slug}/")
    page.goto(f"{base}/t/{tenant_a.slug}/badges/{badge.public_id}/")

    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Retire").click()
    page.wait_for_timeout(300)
    assert questions == ["Retire Safe Scaffolding? No new awards; badges already awarded stay valid."]
    with tenant_scope(tenant_a):
        badge.refresh_from_db()
        assert badge.retired_at is None  # "no": the form was not sent

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retire").click()
    expect(page.get_by_role("button", name="Retire")).to_have_count(0)
    with tenant_scope(tenant_a):
        badge.refresh_from_db()
        assert badge.retired_at is not None
