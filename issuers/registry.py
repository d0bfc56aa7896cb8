"""The one way a lower layer tells a higher one something without importing it (README "Architecture").

The lower layer owns a :class:`Registry` and walks it when the thing happens; the higher layer puts
its function, task or kind of row in it from its ``AppConfig.ready()``. Every such channel is a
``Registry`` (``grep -rn "Registry("`` lists them), so none is wired any other way (settings naming
tasks, signals, imports inside functions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """What the layers above registered for one purpose, in the order they registered it."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        self._items: list[T] = []

    def register(self, item: T) -> None:
        """Add ``item`` once (``ready()`` may run again, e.g. in tests)."""
        if item not in self._items:
            self._items.append(item)

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._items))

    def __repr__(self) -> str:
        return f"<Registry {self.purpose}: {self._items!r}>"
