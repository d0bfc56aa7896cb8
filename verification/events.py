"""What the verification layer tells the layers above, which it never imports: each fills in the registry
from its ``AppConfig.ready()`` (webhooks: a college's systems hear of its badges being verified)."""

from __future__ import annotations

from collections.abc import Callable

from issuers.registry import Registry
from verification.models import VerificationEvent

# Called with the event of one of our own badges (tenant set) just recorded by ``verification_record``,
# in its transaction: the listener's rows commit with the count, or neither does.
VERIFIED: Registry[Callable[[VerificationEvent], None]] = Registry("told of our badges verified")
