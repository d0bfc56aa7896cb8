"""What a production start refuses: settings that would do lasting harm once real badges are issued.

Every badge's public id is built from ``PUBLIC_BASE_URL`` and lives for ever in learners' backpacks and
baked images, so a loopback or private host there cannot be fixed later; the filesystem broker and the
console/file mail backend lose work or mail silently when more than one machine serves. A trial or a test
that really wants them with ``DEBUG`` off says so with ``ALLOW_LOCAL_DEPLOYMENT=true``.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Names that never reach the public internet (RFC 2606, RFC 6761, RFC 6762, RFC 8375, common LAN suffixes).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".example", ".invalid")
LOCAL_EMAIL_BACKENDS = {
    "badgeplatform.mail.ConsoleAndFileEmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def host_is_local(host: str) -> bool:
    """True for loopback, private, link-local or unspecified addresses and for names that are not public."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def local_deployment_problems(*, public_base_url: str, default_public_base_url: str, broker_url: str,
                              email_backend: str, database_engine: str) -> list[str]:
    """The settings that only a local trial may use, each with what to set instead."""
    problems = []
    host = urlsplit(public_base_url).hostname or ""
    if public_base_url == default_public_base_url or host_is_local(host):
        problems.append(f"PUBLIC_BASE_URL is {public_base_url!r}: set it to the site's public https origin "
                        "(every badge's public id is built from it, for ever).")
    if broker_url.startswith("filesystem:"):
        problems.append("The Celery broker is the embedded filesystem broker: set REDIS_URL.")
    if email_backend in LOCAL_EMAIL_BACKENDS:
        problems.append("Email goes to the console and files, nobody receives it: set EMAIL_HOST.")
    if database_engine.endswith("sqlite3"):
        problems.append("The database is SQLite: set DATABASE_URL to PostgreSQL.")
    return problems
