"""The Open Badges 3.0 API's scopes (OB 3.0 section 6.1), with the words the consent page shows."""

from __future__ import annotations

PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READONLY = PREFIX + "credential.readonly"
CREDENTIAL_UPSERT = PREFIX + "credential.upsert"
PROFILE_READONLY = PREFIX + "profile.readonly"
PROFILE_UPDATE = PREFIX + "profile.update"

# What the learner reads on the consent page and in Settings, one sentence a scope.
SCOPES = {
    CREDENTIAL_READONLY: "See your Open Badges 3.0 credentials: the badges colleges awarded you here and the ones "
                         "you imported.",
    CREDENTIAL_UPSERT: "Add Open Badges 3.0 credentials to your backpack, or replace ones it added before. Each is "
                       "verified first and must be issued to one of your verified addresses.",
    PROFILE_READONLY: "See your name and your account's email address.",
    PROFILE_UPDATE: "Change the name on your account.",
}


def described(scope_text: str) -> list[str]:
    """The sentences of a space-separated scope string, in the order above."""
    granted = set(scope_text.split())
    return [text for scope, text in SCOPES.items() if scope in granted]
