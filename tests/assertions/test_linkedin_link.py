"""The LinkedIn "add certification" link, built with what a badge's awards share quoted once, is exactly
``urlencode`` of its fields in their order, whatever the names hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from assertions import links
from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.models import Issuer, Tenant


def by_definition(assertion: Assertion) -> str:
    params: dict[str, object] = {
        "startTask": "CERTIFICATION_NAME", "name": assertion.badge_class.name,
        "issueYear": assertion.issued_on.year, "issueMonth": assertion.issued_on.month,
        "certUrl": links.verify_url(assertion), "certId": str(assertion.public_id),
    }
    if assertion.tenant.linkedin_organization_id:
        params["organizationId"] = assertion.tenant.linkedin_organization_id
    else:
        params["organizationName"] = assertion.badge_class.issuer.name
    if assertion.expires:
        params["expirationYear"] = assertion.expires.year
        params["expirationMonth"] = assertion.expires.month
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


@pytest.mark.parametrize("badge_name", ["Safe Scaffolding", "Zoë's & Siân's 100% = +1 / ?#", "  "])
@pytest.mark.parametrize("organisation_id", ["", "12345", "a b&c"])
@pytest.mark.parametrize("expires", [None, datetime(2029, 12, 31, 23, 0, tzinfo=UTC)])
def test_the_link_is_urlencode_of_its_fields(badge_name, organisation_id, expires):
    tenant = Tenant(slug="c", name="C", linkedin_organization_id=organisation_id)
    issuer = Issuer(tenant=tenant, name="Bench College, Construction & Built Environment", url="https://x.example")
    badge = BadgeClass(tenant=tenant, issuer=issuer, name=badge_name)
    for public_id in (uuid.uuid4(), uuid.UUID(int=0)):
        assertion = Assertion(tenant=tenant, badge_class=badge, public_id=public_id, expires=expires,
                              issued_on=datetime(2026, 9, 1, 8, 30, tzinfo=UTC))
        assert links.linkedin_add_url(assertion) == by_definition(assertion)


def test_a_base_url_that_needs_quoting_is_quoted(settings):
    settings.PUBLIC_BASE_URL = "https://badges.example/a b?c=d"
    tenant = Tenant(slug="c", name="C")
    badge = BadgeClass(tenant=tenant, issuer=Issuer(tenant=tenant, name="Ïssuer"), name="B")
    assertion = Assertion(tenant=tenant, badge_class=badge, issued_on=datetime(2026, 1, 2, tzinfo=UTC))
    assert links.linkedin_add_url(assertion) == by_definition(assertion)
