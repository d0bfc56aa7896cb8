"""Pathway logic over nested "all of" / "N of" groups, checked against a brute-force reading."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways import requirements
from pathways.requirements import RequirementError, progress, satisfied, validate

BADGES = [f"b{i}" for i in range(6)]


def _tree(depth: int = 3) -> st.SearchStrategy:
    leaf = st.sampled_from(BADGES).map(lambda b: {"badge": b})
    if depth == 0:
        return leaf
    child = _tree(depth - 1)
    group_all = st.lists(child, min_size=1, max_size=4).map(lambda cs: {"all": cs})
    group_n = st.lists(child, min_size=1, max_size=4).flatmap(
        lambda cs: st.integers(1, len(cs)).map(lambda n: {"n": n, "of": cs}))
    return st.one_of(leaf, group_all, group_n)


def _reference(node: dict, held: set[str]) -> bool:
    """The same rule written the long way: count every child that holds, compare with what is needed."""
    if "badge" in node:
        return node["badge"] in held
    children = node.get("all") or node["of"]
    needed = len(children) if "all" in node else node["n"]
    met = [c for c in children if _reference(c, held)]
    return len(met) >= needed


@settings(max_examples=300, deadline=None)
@given(tree=_tree(), held=st.sets(st.sampled_from(BADGES)))
def test_satisfied_agrees_with_the_long_reading(tree, held):
    validate(tree)
    assert satisfied(tree, held) == _reference(tree, held)


@settings(max_examples=300, deadline=None)
@given(tree=_tree(), held=st.sets(st.sampled_from(BADGES)), more=st.sets(st.sampled_from(BADGES)))
def test_earning_more_badges_never_undoes_a_completion(tree, held, more):
    if satisfied(tree, held):
        assert satisfied(tree, held | more)


@settings(max_examples=300, deadline=None)
@given(tree=_tree())
def test_holding_every_named_badge_completes_and_holding_none_does_not(tree):
    assert satisfied(tree, requirements.badges_in(tree))
    assert not satisfied(tree, set())


@settings(max_examples=300, deadline=None)
@given(tree=_tree(), held=st.sets(st.sampled_from(BADGES)))
def test_progress_is_complete_exactly_when_satisfied(tree, held):
    p = progress(tree, held)
    assert 0 <= p.done <= p.needed
    assert p.complete == satisfied(tree, held)


def test_the_hospitality_example_reads_as_the_college_means_it():
    tree = {"all": [{"badge": "hs"}, {"badge": "food"},
                    {"n": 2, "of": [{"badge": "aid"}, {"badge": "allergen"}, {"badge": "service"}]}]}
    assert not satisfied(tree, {"hs", "food", "aid"})
    assert satisfied(tree, {"hs", "food", "aid", "service"})
    assert progress(tree, {"hs", "aid"}) == requirements.Progress(1, 3)
    names = {"hs": "Health & Safety", "food": "Food Hygiene", "aid": "First Aid", "allergen": "Allergens",
             "service": "Customer Service"}
    assert requirements.describe(tree, names) == (
        "Health & Safety and Food Hygiene and (2 of (First Aid, Allergens, Customer Service))")


@pytest.mark.parametrize(("tree", "message"), [
    ([], "badge or a group"),
    ({"all": []}, "at least one part"),
    ({"n": 3, "of": [{"badge": "a"}, {"badge": "b"}]}, "can never be met"),
    ({"n": 0, "of": [{"badge": "a"}]}, "at least 1"),
    ({"n": True, "of": [{"badge": "a"}]}, "at least 1"),
    ({"badge": ""}, "must name a badge"),
    ({"any": [{"badge": "a"}]}, "must be"),
    ({"all": [{"all": [{"all": [{"all": [{"all": [{"all": [{"badge": "a"}]}]}]}]}]}]}, "nest"),
])
def test_malformed_trees_are_refused_with_a_reason(tree, message):
    with pytest.raises(RequirementError, match=message):
        validate(tree)
