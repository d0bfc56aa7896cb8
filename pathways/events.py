"""What the pathways layer tells the layers above, which it never imports: each fills in the registry from
its ``AppConfig.ready()`` (webhooks: a college's systems hear of pathways completed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from issuers.registry import Registry
from pathways.models import PathwayCompletion

# Called with completions just recorded (of one pathway; each with its capstone set, if the pathway awards
# one), in their transaction, so what a listener writes commits with them or not at all.
COMPLETED: Registry[Callable[[Sequence[PathwayCompletion]], None]] = Registry("told of pathways completed")
