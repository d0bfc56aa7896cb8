from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from assertions.models import Assertion
from issuers.models import Tenant
from issuers.scoping import tenant_scope


def test_loaddemo_is_idempotent_and_its_badge_is_public(client, settings, db):
    settings.DEBUG = True
    call_command("loaddemo", stdout=StringIO())
    out = StringIO()
    call_command("loaddemo", stdout=out)
    tenant = Tenant.objects.get(slug="riverside")
    with tenant_scope(tenant):
        assert Assertion.objects.count() == 2
    url = next(line.split()[-1] for line in out.getvalue().splitlines() if "/public/assertions/" in line)
    response = client.get(url.replace("http://127.0.0.1:8000", ""), HTTP_ACCEPT="application/ld+json")
    assert response.json()["type"] == "Assertion"
