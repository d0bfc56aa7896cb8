"""Deep linking, the roster (NRPS) and the results (AGS) to awards, against lti1p3platform: a teacher places
a badge with a rule, learners meeting it are awarded once each, and one college's registration never
reaches another's badges."""

from __future__ import annotations

import requests

from assertions.models import Assertion
from issuers.scoping import tenant_scope
from lti.models import LtiAward, LtiLink
from lti.services import links_sync_all
from lti.tasks import links_sync
from tests.support import eager_tasks
from tests.support.lti_platform import AMY, BEN, TEACHER, course_with_quiz, open_launch, place_badge, register


def _placed(platform):
    """The resource link the platform saved from our deep-linking answer (checked by lti1p3platform)."""
    (item,) = platform.deep_link_items
    assert item["type"] == "ltiResourceLink"
    return item


def test_a_teacher_places_a_badge_with_a_rule_by_deep_linking(platform, tenant_a, badge_a):
    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    browser = requests.Session()
    picker, _ = open_launch(browser, platform, TEACHER, deep_link=True)
    assert "Safe Scaffolding" in picker.text  # the college's badges
    assert "Final quiz" in picker.text  # the course's graded activities, read through AGS
    chosen = place_badge(browser, platform, str(badge_a.public_id), quiz, rule="score", min_score="70")
    assert chosen.status_code == 200
    item = _placed(platform)
    assert item["title"] == "Safe Scaffolding"
    with tenant_scope(tenant_a):
        link = LtiLink.objects.get()
    assert item["custom"] == {"badge_link": str(link.public_id)}
    assert (link.rule, link.min_score, link.lineitem_url, link.lineitem_label) == ("score", 70, quiz, "Final quiz")
    assert (link.context_id, link.context_title) == (platform.course.id, platform.course.title)


def test_a_bad_choice_in_the_picker_is_explained(platform, tenant_a, badge_a):
    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    chosen = place_badge(requests.Session(), platform, str(badge_a.public_id), quiz, rule="score", min_score="250")
    assert chosen.status_code == 200
    assert "percentage from 1 to 100" in chosen.text
    assert platform.deep_link_items == []


def test_results_meeting_the_rule_become_awards_once_per_learner(platform, tenant_a, badge_a):
    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    browser = requests.Session()
    place_badge(browser, platform, str(badge_a.public_id), quiz, rule="score", min_score="70")
    custom = _placed(platform)["custom"]
    # The teacher opens the badge: the roster and results are read now, Amy (90%) is awarded, Ben (65%) is close.
    page, _ = open_launch(browser, platform, TEACHER, custom=custom)
    assert page.status_code == 200, page.text[:1000]
    assert "1 of 3 learners have it, 1 is close" in page.text
    with tenant_scope(tenant_a):
        (award,) = Assertion.objects.filter(badge_class=badge_a)
        assert award.recipient_identity == AMY.email
        assert LtiAward.objects.get().assertion == award
    # Again, from Amy's launch and from the beat task's sync: nothing more.
    mine, _ = open_launch(requests.Session(), platform, AMY, custom=custom)
    assert "You have this badge" in mine.text
    with tenant_scope(tenant_a):
        assert links_sync_all() == 1
        assert Assertion.objects.filter(badge_class=badge_a).count() == 1
    # Ben's result rises to 70%: the next run of the beat task awards him.
    platform.course.results[quiz][1]["resultScore"] = 70
    with eager_tasks():
        assert links_sync.apply().get() == 1  # one college with links
    with tenant_scope(tenant_a):
        assert sorted(Assertion.objects.filter(badge_class=badge_a).values_list("recipient_identity", flat=True)) == \
            sorted([AMY.email, BEN.email])


def test_the_completed_rule_awards_everyone_with_a_result(platform, tenant_a, badge_a):
    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    browser = requests.Session()
    place_badge(browser, platform, str(badge_a.public_id), quiz, rule="completed")
    page, _ = open_launch(browser, platform, TEACHER, custom=_placed(platform)["custom"])
    assert "2 of 3 learners have it" in page.text
    with tenant_scope(tenant_a):
        assert set(Assertion.objects.values_list("recipient_identity", flat=True)) == {AMY.email, BEN.email}


def test_one_colleges_registration_never_reaches_anothers_badges(platform, platform_b, tenant_a, tenant_b, badge_a,
                                                                 badge_b):
    register(platform, tenant_a)
    register(platform_b, tenant_b)
    quiz = course_with_quiz(platform)
    course_with_quiz(platform_b)
    browser = requests.Session()
    place_badge(browser, platform, str(badge_a.public_id), quiz)
    a_link = _placed(platform)["custom"]
    # College B's teacher sees only B's badges, and cannot choose A's by its id.
    picker, _ = open_launch(browser, platform_b, TEACHER, deep_link=True)
    assert "Copper Pipework" in picker.text
    assert "Safe Scaffolding" not in picker.text
    chosen = place_badge(browser, platform_b, str(badge_a.public_id), f"{platform_b.url}/lineitems/quiz")
    assert "Choose one of your college" in chosen.text
    assert platform_b.deep_link_items == []
    # A launch from B's platform naming A's link is refused, and awards nothing.
    refused, _ = open_launch(browser, platform_b, TEACHER, custom=a_link)
    assert refused.status_code == 403
    assert "does not name a badge of this college" in refused.text
    with tenant_scope(tenant_a):
        assert not Assertion.objects.exists()
    with tenant_scope(tenant_b):
        assert not Assertion.objects.exists()


def test_a_teacher_can_make_a_new_badge_from_the_picker(platform, tenant_a, issuer_a):
    from badges.models import BadgeClass
    from issuers.models import AuditEntry

    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    browser = requests.Session()
    place_badge(browser, platform, "new", quiz, rule="completed", new_name="Food Hygiene",
                new_description="Handles food safely.")
    assert _placed(platform)["title"] == "Food Hygiene"
    with tenant_scope(tenant_a):
        badge = BadgeClass.objects.get(name="Food Hygiene")
        assert badge.issuer == issuer_a
        assert LtiLink.objects.get().badge_class == badge
        entry = AuditEntry.objects.get(action="badge_class.create")
        assert entry.actor_label == f"LTI teacher {TEACHER.name} (moodle)"
    page, _ = open_launch(browser, platform, TEACHER, custom=_placed(platform)["custom"])
    assert "2 of 3 learners have it" in page.text


def test_a_new_badge_needs_a_name(platform, tenant_a, issuer_a):
    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    chosen = place_badge(requests.Session(), platform, "new", quiz, rule="completed", new_name="",
                         new_description="")
    assert "needs a name" in chosen.text
    assert platform.deep_link_items == []


def test_two_syncs_at_once_award_each_learner_once(platform, tenant_a, badge_a):
    import threading

    from django.db import connection

    from issuers.context import tenant_context

    register(platform, tenant_a)
    quiz = course_with_quiz(platform)
    place_badge(requests.Session(), platform, str(badge_a.public_id), quiz, rule="completed")
    with tenant_scope(tenant_a):
        link = LtiLink.objects.select_related("registration", "badge_class").get()
    start, errors = threading.Barrier(2), []

    def sync() -> None:
        try:
            with tenant_context(tenant_a):
                start.wait(10)
                from lti.services import link_sync

                link_sync(link=LtiLink.objects.select_related("registration", "badge_class").get(pk=link.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with tenant_scope(tenant_a):
        assert sorted(Assertion.objects.values_list("recipient_identity", flat=True)) == sorted([AMY.email, BEN.email])
        assert LtiAward.objects.count() == 2
