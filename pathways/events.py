"""What the pathways layer tells the layers above, which it never imports: each fills in the registry from
its ``AppConfig.ready()`` (webhooks: a college's systems hear of pathways completed)."""

from __future__ import annotations

from collections.abc import Callable

from issuers.registry import Registry
from pathways.models import PathwayCompletion

# Called with a completion just recorded (its capstone set, if the pathway awards one), in its
# transaction, so what a listener writes commits with the completion or not at all.
COMPLETED: Registry[Callable[[PathwayCompletion], None]] = Registry("told of pathways completed")
