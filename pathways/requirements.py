"""What a pathway requires, as a small tree, and whether a learner's badges satisfy it.

A node is one of:
    {"badge": "<badge class public id>"}
    {"all": [node, ...]}                 every child
    {"n": 2, "of": [node, ...]}          at least n children

Pure functions over plain data, so they are easy to test exhaustively (see the Hypothesis tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 5
MAX_NODES = 200


class RequirementError(ValueError):
    """The tree is malformed; the message says where."""


@dataclass(frozen=True)
class Progress:
    done: int  # requirements met, counted at the top level (each child of the root, or the root badge)
    needed: int

    @property
    def complete(self) -> bool:
        return self.done >= self.needed


def validate(node: Any, *, depth: int = 0, _count: list[int] | None = None) -> None:
    """Raise ``RequirementError`` unless ``node`` is a well-formed requirement tree."""
    count = _count if _count is not None else [0]
    count[0] += 1
    if count[0] > MAX_NODES:
        raise RequirementError(f"A pathway can have at most {MAX_NODES} parts.")
    if depth > MAX_DEPTH:
        raise RequirementError(f"Groups can nest at most {MAX_DEPTH} deep.")
    if not isinstance(node, dict):
        raise RequirementError("Each part must be a badge or a group.")
    if set(node) == {"badge"}:
        if not isinstance(node["badge"], str) or not node["badge"]:
            raise RequirementError("A badge part must name a badge.")
        return
    if set(node) == {"all"}:
        children = node["all"]
    elif set(node) == {"n", "of"}:
        children = node["of"]
        n = node["n"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise RequirementError("'N of' needs N of at least 1.")
        if isinstance(children, list) and n > len(children):
            raise RequirementError(f"'{n} of' a group of {len(children)} can never be met.")
    else:
        raise RequirementError("Each part must be {'badge'}, {'all'} or {'n', 'of'}.")
    if not isinstance(children, list) or not children:
        raise RequirementError("A group must contain at least one part.")
    for child in children:
        validate(child, depth=depth + 1, _count=count)


def badges_in(node: dict[str, Any]) -> set[str]:
    if "badge" in node:
        return {node["badge"]}
    return set().union(*(badges_in(c) for c in node.get("all", node.get("of", []))))


def fewest_badges(node: dict[str, Any]) -> int:
    """The fewest distinct badges that can satisfy ``node``: a learner holding fewer cannot complete it."""
    if "badge" in node:
        return 1
    if "all" in node:
        return sum(fewest_badges(c) for c in node["all"])
    return sum(sorted(fewest_badges(c) for c in node["of"])[: node["n"]])


def satisfied(node: dict[str, Any], held: Set[str]) -> bool:
    if "badge" in node:
        return node["badge"] in held
    if "all" in node:
        return all(satisfied(c, held) for c in node["all"])
    return sum(1 for c in node["of"] if satisfied(c, held)) >= node["n"]


def progress(node: dict[str, Any], held: Iterable[str]) -> Progress:
    """"3 of 5 towards ...": the top-level parts met out of those needed."""
    held = set(held)
    if "badge" in node:
        return Progress(int(node["badge"] in held), 1)
    if "all" in node:
        return Progress(sum(satisfied(c, held) for c in node["all"]), len(node["all"]))
    return Progress(min(node["n"], sum(satisfied(c, held) for c in node["of"])), node["n"])


def describe(node: dict[str, Any], names: dict[str, str]) -> str:
    """Plain words, e.g. "Health & Safety and Food Hygiene and 2 of (First Aid, Allergens, Service)"."""
    if "badge" in node:
        return names.get(node["badge"], "a badge that no longer exists")
    if "all" in node:
        parts = [describe(c, names) for c in node["all"]]
        return " and ".join(f"({p})" if " of " in p or " and " in p else p for p in parts)
    return f"{node['n']} of ({', '.join(describe(c, names) for c in node['of'])})"
