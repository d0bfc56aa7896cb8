"""The award email of a batch is written once per badge and filled in per learner (``AwardMessages``).
What goes on the wire must be the very message ``award_message`` would have written, byte for byte
apart from the values that are random or dated anyway (MIME boundary, Message-ID, Date)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.mail import get_connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assertions import links
from assertions.emails import AwardMessages, PreparedEmail, award_message
from assertions.models import Assertion
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import png_bytes

pytestmark = pytest.mark.django_db

NAMES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("éøßÅ中—😀\u0301"),
                max_size=60) | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
ADDRESSES = st.from_regex(r"[a-z0-9][a-z0-9+_'-]{0,20}(\.[a-z0-9+_-]{1,10})?@[a-z0-9-]{1,20}\.(org|ac\.uk)",
                          fullmatch=True) | st.sampled_from(["zoë@example.org", "ann@bücher.example"])


@pytest.fixture
def badges(tenant_a, issuer_a):
    """A plain badge, and one whose name and description are not ASCII (an 8bit body)."""
    made = []
    with tenant_scope(tenant_a):
        for name, description in [("Safe Scaffolding", "Erects a scaffold tower to the TG20 guidance & checks it."),
                                  ("Pâtisserie — Level 2", "Laminates dough; «croissants» to the brief.")]:
            badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name=name, description=description)
            badge.image.save("badge.png", ContentFile(png_bytes()), save=False)
            badge.save()
            made.append(badge)
    return made


def award(badge: BadgeClass, identity: str, name: str, days_ago: int = 0) -> Assertion:
    """An award as the worker loads it (unsaved: the email needs nothing from the database). Dates and
    narrative differ between awards, so a template that read them would fail the equality below."""
    issued_on = timezone.now() - timedelta(days=days_ago)
    return Assertion(tenant=badge.tenant, badge_class=badge, recipient_identity=identity, recipient_name=name,
                     issued_on=issued_on, expires=issued_on + timedelta(days=365 + days_ago),
                     narrative=f"Shown on day {days_ago}.", evidence=[{"id": f"https://e.example/{days_ago}"}],
                     public_id=uuid.uuid4(), claim_nonce=uuid.uuid4().hex[:16])


def normalised(wire: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', wire).group(1)
    wire = wire.replace(boundary, b"BOUNDARY")
    wire = re.sub(rb"^Message-ID: .*$", b"Message-ID: ID", wire, flags=re.MULTILINE)
    wire = re.sub(rb"/claim/[^/]+/", b"/claim/TOKEN/", wire)  # signed with the time: checked on its own below
    wire = re.sub(rb"/wallet/add/[^/]+/", b"/wallet/add/TOKEN/", wire)  # the same
    return re.sub(rb"^Date: .*$", b"Date: DATE", wire, flags=re.MULTILINE)


def usual(assertion: Assertion) -> bytes:
    return award_message(assertion).message().as_bytes(linesep="\r\n")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(learners=st.lists(st.tuples(ADDRESSES, NAMES, st.integers(0, 800)), min_size=1, max_size=4),
       which=st.integers(0, 1))
def test_a_prepared_email_is_byte_for_byte_the_usual_one(tenant_a, badges, learners, which):
    messages = AwardMessages()
    with tenant_scope(tenant_a):
        for identity, name, days_ago in learners:
            assertion = award(badges[which], identity, name, days_ago)
            message = messages.message(assertion)
            if isinstance(message, PreparedEmail):
                assert normalised(message.prepared) == normalised(usual(assertion))
                tokens = set(re.findall(rb"/claim/([^/]+)/", message.prepared))
                assert len(tokens) == 1
                assert links.claim_token_read(tokens.pop().decode()) == (str(assertion.public_id),
                                                                          assertion.claim_nonce)
                # What other backends (the console, the tests' outbox) read agrees with the bytes.
                assert normalised(message.message().as_bytes(linesep="\r\n")) == normalised(message.prepared)
            else:  # built the usual way: a value that could change the encoding
                assert not (identity.isascii() and name.isprintable())
                assert normalised(message.message().as_bytes(linesep="\r\n")) == normalised(usual(assertion))


def test_plain_learners_take_the_shortcut_and_each_email_has_its_own_message_id(tenant_a, badges):
    messages = AwardMessages()
    with tenant_scope(tenant_a):
        first = messages.message(award(badges[0], "ann@example.org", "Ann O'Neill <3"))
        second = messages.message(award(badges[1], "ben@example.org", "Ben"))
    assert isinstance(first, PreparedEmail)
    assert isinstance(second, PreparedEmail)
    ids = [re.search(rb"^Message-ID: (.*)\r$", m.prepared, re.MULTILINE).group(1) for m in (first, second)]
    assert ids[0] != ids[1]
    assert b"Hello Ann O&#x27;Neill &lt;3," in first.prepared  # escaped in the HTML part
    assert b"Hello Ann O'Neill <3," in first.prepared  # as written in the text part


def test_a_learner_with_an_accented_name_takes_the_shortcut_too_with_8bit_parts(tenant_a, badges):
    messages = AwardMessages()
    with tenant_scope(tenant_a):
        plain = messages.message(award(badges[0], "ann@example.org", "Ann"))
        assertion = award(badges[0], "zoe@example.org", "Zoë Ångström 李 😀")
        message = messages.message(assertion)
        again = award(badges[0], "sian@example.org", "Siân")
        second = messages.message(again)
    assert isinstance(message, PreparedEmail)
    assert isinstance(second, PreparedEmail)
    assert b"Content-Transfer-Encoding: 8bit" in message.prepared
    assert b"Content-Transfer-Encoding: 8bit" not in plain.prepared
    assert "Hello Zoë Ångström 李 😀,".encode() in message.prepared
    assert normalised(message.prepared) == normalised(usual(assertion))
    assert normalised(second.prepared) == normalised(usual(again))


@pytest.mark.parametrize("name", ["Zoë\u2028Siân", "Zoë\x85", "é" * 401])
def test_a_name_that_could_change_the_encoding_gets_an_email_built_the_usual_way(tenant_a, badges, name):
    with tenant_scope(tenant_a):
        assertion = award(badges[0], "zoe@example.org", name)
        message = AwardMessages().message(assertion)
    assert not isinstance(message, PreparedEmail)
    assert f"Hello {name}," in message.body


def test_a_badge_whose_text_would_be_quoted_printable_is_built_the_usual_way(tenant_a, badges):
    badge = badges[0]
    badge.description = "word " * 300  # one line over SMTP's 998-octet limit: Django quotes the part
    with tenant_scope(tenant_a):
        assertion = award(badge, "ann@example.org", "Ann")
        message = AwardMessages().message(assertion)
    assert not isinstance(message, PreparedEmail)
    assert b"quoted-printable" in message.message().as_bytes()


def test_the_smtp_backend_sends_the_prepared_bytes(tenant_a, badges, sink):
    with tenant_scope(tenant_a):
        assertion = award(badges[0], "ann@example.org", "Ann")
        with get_connection() as mail:
            message = AwardMessages().message(assertion, connection=mail)
            assert isinstance(message, PreparedEmail)
            message.send()
    (received,) = sink.raw
    # Same Message-ID as the prepared bytes: these were sent, not a message written again.
    message_id = re.search(rb"^Message-ID: (.*)\r$", message.prepared, re.MULTILINE).group(1)
    assert message_id in received
    assert sink.messages[0]["To"] == "ann@example.org"
