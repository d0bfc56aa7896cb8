"""The batch paths' fast ways of making and storing rows give what the plain ways give: an award or an
outbox email built by ``RowMaker.new`` is the instance ``Model(**kwargs)`` builds, rows stored by
``COPY`` (100 or more) read back as those stored by ``bulk_create`` (fewer), and rows of several tables
written together in one statement (``RowWrites``) read back as the ORM stores the same instances."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from assertions import tally
from assertions.models import Announcement, Assertion, AwardTally
from issuers.models import AuditEntry, OutboxEmail
from issuers.outbox import email_new
from issuers.rows import COPY_FROM, RowMaker, RowWrites, random_ids, row_maker, rows_insert
from issuers.scoping import tenant_scope, unscoped
from issuers.services import audit_entry_new

WHEN = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
# JSON and text a COPY row must carry through its escaping: tabs, new lines, backslashes, quotes, non-ASCII.
AWKWARD = "Zoë\tSiân \\ \"quoted\"\nnext line\r\\N \\t"


def _award_values(badge, n: int) -> dict:
    return {"tenant_id": badge.tenant_id, "badge_class_id": badge.pk, "public_id": uuid.uuid4(),
            "recipient_identity": f"learner{n}@example.org", "recipient_name": f"{AWKWARD} {n}",
            "recipient_salt": "salt", "recipient_hash": "sha256$abc", "issued_on": WHEN, "expires": None,
            "evidence": [{"id": f"https://portfolio.example/{n}", "narrative": AWKWARD}], "narrative": AWKWARD,
            "claim_nonce": "nonce", "created_at": WHEN, "updated_at": WHEN}


def _fields(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


@pytest.mark.parametrize("model", [Assertion, OutboxEmail])
def test_a_new_row_is_the_instance_the_model_builds(model, badge_a):
    values = _award_values(badge_a, 1) if model is Assertion else {
        "tenant_id": badge_a.tenant_id, "kind": "award", "to": "a@example.org", "content": {"x": AWKWARD},
        "created_at": WHEN, "updated_at": WHEN}
    fast = RowMaker(model).new(**values)
    plain = model(**values)
    if model is OutboxEmail:  # a default made per row (a new UUID) cannot be equal
        assert isinstance(fast.pk, uuid.UUID)
        fast.id = plain.id
    assert _fields(fast) == _fields(plain)
    assert fast._state.adding
    assert fast._state.db is None


def test_a_model_with_post_init_receivers_is_built_by_its_constructor(badge_a):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Assertion)
    try:
        award = RowMaker(Assertion).new(**_award_values(badge_a, 1))
    finally:
        post_init.disconnect(receiver, sender=Assertion)
    assert seen == [award]


@pytest.mark.parametrize("count", [COPY_FROM - 1, COPY_FROM])
def test_rows_stored_by_copy_read_back_as_those_stored_by_bulk_create(count, badge_a):
    maker = RowMaker(Assertion)
    with tenant_scope(badge_a.tenant):
        made = [maker.new(**_award_values(badge_a, n)) for n in range(count)]
        rows_insert(maker, made)
        assert all(a.pk is not None and not a._state.adding for a in made)
        stored = {a.pk: a for a in Assertion.objects.filter(pk__in=[a.pk for a in made])}
    assert len(stored) == count
    for award in made:
        back = stored[award.pk]
        assert _fields(back) == _fields(award) | {"baked_image": back.baked_image}
        assert back.baked_image.name == ""
        assert back.evidence == [{"id": f"https://portfolio.example/{award.recipient_identity[7:-12]}",
                                  "narrative": AWKWARD}]


def test_outbox_emails_stored_by_copy_keep_their_content(badge_a):
    maker = RowMaker(OutboxEmail)
    made = [maker.new(tenant_id=badge_a.tenant_id, kind="award", to=f"l{n}@example.org",
                      content={"subject": AWKWARD, "n": n}) for n in range(COPY_FROM)]
    rows_insert(maker, made)
    back = {e.pk: e for e in OutboxEmail.objects.filter(pk__in=[e.pk for e in made])}
    assert [back[e.pk].content for e in made] == [{"subject": AWKWARD, "n": n} for n in range(COPY_FROM)]


def test_random_ids_are_version_4_uuids_and_hex_as_uuid4_and_token_hex_make_them():
    ids, texts = random_ids(500, uuids=2, hex_bytes=24)
    made = [value for row in ids for value in row]
    assert len(ids) == 500
    assert all(len(row) == 2 for row in ids)
    assert len(set(made)) == 1000
    for value in made:
        assert value.version == 4
        assert value.variant == uuid.RFC_4122
        assert uuid.UUID(str(value)) == value  # what the database gives back compares equal, and hashes alike
        assert hash(uuid.UUID(value.hex)) == hash(value)
    assert all(len(text) == 48 and int(text, 16) >= 0 for text in texts)
    assert len(set(texts)) == 500
    # Every bit but the six fixed ones varies: each shows up set and clear across 1,000 ids.
    ones = 0
    zeros = 0
    for value in made:
        ones |= value.int
        zeros |= ~value.int
    assert ones == (1 << 128) - 1 - (0xB << 76) - (0x4 << 60)
    assert zeros & ((1 << 128) - 1) == (1 << 128) - 1 - (0x4 << 76) - (0x8 << 60)


def _orm_copy(obj, **changes):
    """The instance as the ORM stores it: a copy with no primary key (a new one for a UUID key), saved."""
    copy = type(obj)(**{k: v for k, v in _fields(obj).items() if k != obj._meta.pk.attname})
    for name, value in changes.items():
        setattr(copy, name, value)
    if isinstance(copy.pk, uuid.UUID) or obj._meta.pk.has_default():
        copy.pk = obj._meta.pk.get_default()
    copy.save(force_insert=True)
    return copy


def _row(obj, *leave_out: str) -> dict:
    model = type(obj)
    with unscoped("comparing rows the test wrote"):
        row = model._default_manager.filter(pk=obj.pk).values().get()
    return {k: v for k, v in row.items() if k not in {model._meta.pk.attname, *leave_out}}


def test_rows_written_together_read_back_as_the_orm_stores_them(badge_a, alice):
    """Three emails, three awards pointing at them, a tally upsert, an audit entry and an announcement that
    lists the awards' keys: one statement on PostgreSQL (each part on its own elsewhere). Each row reads
    back as the ORM stores the same instance, field by field, and each instance has the key it was given."""
    tenant = badge_a.tenant
    with tenant_scope(tenant):
        emails = [email_new(kind="award", to=f"l{n}@example.org", tenant=tenant) for n in range(3)]
        awards = [row_maker(Assertion).new(**_award_values(badge_a, n) | {"mail_id": emails[n].pk}) for n in range(3)]
        entry = audit_entry_new(tenant=tenant, action="assertion.issue", actor=alice, obj=badge_a, badge=badge_a,
                                summary=AWKWARD, data={"assertions": [str(a.public_id) for a in awards]})
        announcement = row_maker(Announcement).new(tenant_id=tenant.pk, event="issued",
                                                   kwargs={"tenant_id": tenant.pk, "assertion_ids": []})
        writes = RowWrites()
        writes.insert(row_maker(OutboxEmail), emails)
        awarded = writes.insert(row_maker(Assertion), awards)
        writes.statement(*tally.tally_statement(tally.issued_changes(awards, tenant.zone)))
        writes.insert(row_maker(AuditEntry), [entry])
        writes.insert(row_maker(Announcement), [announcement], ids_into={"kwargs": ("assertion_ids", awarded)})
        with CaptureQueriesContext(connection) as queries:
            writes.execute()
        if connection.vendor == "postgresql":
            assert len(queries) == 1
        assert [a.pk for a in awards] == sorted(a.pk for a in awards)
        assert None not in [a.pk for a in awards]
        assert announcement.kwargs == {"tenant_id": tenant.pk, "assertion_ids": [a.pk for a in awards]}
        assert all(not obj._state.adding for obj in [*emails, *awards, entry, announcement])
        assert AwardTally.objects.get(badge_class=badge_a).issued == 3
        for email in emails:
            assert _row(email) == _row(_orm_copy(email))
        for award in awards:
            by_orm = _orm_copy(award, public_id=uuid.uuid4())
            # auto_now fields: the ORM dates its copy as it saves it; together, the row keeps the batch's moment
            assert _row(award, "public_id", "created_at", "updated_at") == _row(
                by_orm, "public_id", "created_at", "updated_at")
            # together the row keeps the batch's moment, as COPY does; bulk_create (SQLite) dates it as it saves
            assert _row(award)["created_at"] == award.created_at
            if connection.vendor == "postgresql":
                assert award.created_at == WHEN
            assert Assertion.objects.get(pk=award.pk).public_id == award.public_id
        assert _row(entry) == _row(_orm_copy(entry))
        assert _row(announcement) == _row(_orm_copy(announcement))
        assert Announcement.objects.get(pk=announcement.pk).kwargs["assertion_ids"] == [a.pk for a in awards]


def test_an_announcement_of_no_rows_lists_none(badge_a):
    with tenant_scope(badge_a.tenant):
        announcement = row_maker(Announcement).new(tenant_id=badge_a.tenant_id, event="issued",
                                                   kwargs={"tenant_id": badge_a.tenant_id, "assertion_ids": []})
        writes = RowWrites()
        awarded = writes.insert(row_maker(Assertion), [])
        writes.insert(row_maker(Announcement), [announcement], ids_into={"kwargs": ("assertion_ids", awarded)})
        writes.execute()
        assert Announcement.objects.get(pk=announcement.pk).kwargs == {"tenant_id": badge_a.tenant_id,
                                                                       "assertion_ids": []}
