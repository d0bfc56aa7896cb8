"""The issuing service's quick checks of a recipient's address, evidence link and issue date take only
what Django's validators (and the slower date formats) would take, and read it the same way: whatever
they do not take goes to the validator, which decides."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from assertions.bulk import _parse_date
from assertions.services import _plain_address, _plain_link, clean_identity

_EMAIL = EmailValidator()
_URL = URLValidator(schemes=["http", "https"])
# Strings near the patterns' edges: the characters they allow and those they do not, in any order.
_PIECES = st.sampled_from(["a", "z", "0", "9", "-", "_", "+", ".", "@", "/", "?", "#", ":", "%", " ", "\t", "é", "A",
                           "xn--", "..", "-.", ".-", "com", "example", "https://", "http://", "ftp://", "x" * 63])
_NEAR = st.lists(_PIECES, max_size=12).map("".join)


def _valid(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_NEAR, st.emails().map(str.lower), st.text(max_size=40)))
def test_every_address_taken_quickly_is_one_the_validator_takes(value):
    if _plain_address(value):
        assert _valid(_EMAIL, value), value


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_NEAR.map(lambda s: "https://" + s), _NEAR.map(lambda s: "http://" + s), _NEAR, st.text(max_size=40)))
def test_every_link_taken_quickly_is_one_the_validator_takes(value):
    if _plain_link(value):
        assert _valid(_URL, value), value


def test_ordinary_addresses_and_links_are_taken_quickly():
    assert _plain_address("learner17.smith+badges@mail.example.org")
    assert _plain_link("https://portfolio.example/learner/17?tab=work#top")
    assert not _plain_address("zoë@example.org")  # the validator decides these
    assert not _plain_link("https://exämple.org/")
    assert not _plain_link("https://" + "a" * 250 + ".org/")


def test_an_address_the_quick_check_leaves_is_still_judged_by_the_validator():
    assert clean_identity(" Learner@Exämple.ORG ") == "learner@exämple.org"
    for bad in ["learner@", "learner@-example.org", "a..b@example.org", "learner@example.org-"]:
        assert not _plain_address(bad)
        try:
            clean_identity(bad)
        except ValidationError:
            continue
        raise AssertionError(f"{bad!r} was taken")


@settings(max_examples=2000, deadline=None)
@given(st.dates(), st.sampled_from(["{:%Y-%m-%d}", "{0.year}-{0.month}-{0.day}", "{:%Y-%m-%d}x"]))
def test_an_iso_date_is_read_as_the_slower_formats_read_it(day, form):
    value = form.format(day)
    try:
        expected = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        expected = None
    if expected is not None:
        assert _parse_date(value) == expected
