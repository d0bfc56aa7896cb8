"""Who is counting: a visitor is a keyed hash of the client's address and the day, never the address.

The outcomes dashboard counts a share-page view or a verification once per visitor per badge per day,
so reloading a page (or scripting it from one machine) does not inflate a college's numbers. The
hash is an HMAC under SECRET_KEY (``salted_hmac``) of the address that ``accounts.network`` trusts
(the same one the rate limits use, proxy-aware) and the date: it cannot be reversed without the key,
and the same visitor on two days gives two unrelated values.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.network import client_address


def visitor_day() -> date:
    return timezone.localdate()


def visitor_hash(request: HttpRequest, day: date) -> str:
    return salted_hmac("badgeplatform.outcomes.visitor", f"{client_address(request)}|{day.isoformat()}",
                       algorithm="sha256").hexdigest()


def viewer_id(request: HttpRequest) -> int | None:
    """The signed-in user, if any: a learner's views of their own badge are not counted. Read from the
    session when the view's own ``user`` is anonymous (the verify API authenticates nobody)."""
    user = getattr(request, "user", None)
    if (user is None or not user.is_authenticated) and hasattr(request, "session"):
        user = get_user(request)
    return user.pk if user is not None and user.is_authenticated else None
