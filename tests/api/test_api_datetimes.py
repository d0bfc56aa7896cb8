"""The API writes every date-time in UTC with ``Z``, as public documents do, whatever the college's zone."""

from __future__ import annotations

import re

from issuers.models import Tenant

UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_api_date_times_are_utc_with_z_not_the_colleges_offset(api_a, badge_a, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(timezone="Asia/Tokyo")  # +09:00 all year
    created = api_a.post(f"/api/v1/badgeclasses/{badge_a.public_id}/assertions/",
                         {"recipient_email": "learner@example.org", "issued_on": "2026-03-10",
                          "expires": "2027-03-10", "notify": False})
    assert created.status_code == 201, created.content
    body = created.json()
    # The college's 10 March starts at 00:00 Tokyo time: 15:00 UTC the day before.
    assert body["issued_on"] == "2026-03-09T15:00:00Z"
    assert body["expires"] == "2027-03-10T14:59:59Z"
    revoked = api_a.post(f"/api/v1/assertions/{body['id']}/revoke/", {"reason": "Issued in error"}).json()
    badge = api_a.get(f"/api/v1/badgeclasses/{badge_a.public_id}/").json()
    issuers = api_a.get("/api/v1/issuers/").json()
    stamps = [revoked["issued_on"], revoked["expires"], revoked["revoked_at"], revoked["created_at"],
              badge["created_at"], badge["updated_at"], issuers["results"][0]["created_at"]
              if "results" in issuers else issuers[0]["created_at"]]
    assert all(UTC_Z.match(s) for s in stamps), stamps
