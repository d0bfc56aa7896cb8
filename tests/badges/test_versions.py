"""Editing an awarded badge class never changes what earlier awards mean."""

from __future__ import annotations

from assertions.models import Assertion
from badges.services import badge_class_update
from issuers.scoping import tenant_scope
from tests.support import LD, issue_to_learner


def test_editing_an_awarded_badge_makes_a_new_version(client, tenant_a, badge_a):
    award = issue_to_learner(tenant_a, badge_a)
    with tenant_scope(tenant_a):
        new = badge_class_update(badge_class=badge_a, name="Safe Scaffolding (2027)",
                                 criteria_narrative="Builds and inspects a tower.")
        award = Assertion.objects.get(pk=award.pk)
    assert new.pk != badge_a.pk
    assert new.public_id != badge_a.public_id
    assert new.previous_version_id == badge_a.pk
    assert award.badge_class_id == badge_a.pk
    old_doc = client.get(f"/public/badges/{badge_a.public_id}", **LD).json()
    assert old_doc["name"] == "Safe Scaffolding"
    assert client.get(f"/public/badges/{new.public_id}", **LD).json()["name"] == "Safe Scaffolding (2027)"
    assert client.get(f"/public/assertions/{award.public_id}", **LD).json()["badge"] == old_doc["id"]


def test_editing_an_unawarded_badge_or_its_tags_changes_it_in_place(tenant_a, badge_a):
    with tenant_scope(tenant_a):
        same = badge_class_update(badge_class=badge_a, name="Renamed before any award")
        assert same.pk == badge_a.pk
        issue_to_learner(tenant_a, badge_a)
        again = badge_class_update(badge_class=badge_a, tags=["new-tag"])
    assert again.pk == badge_a.pk
