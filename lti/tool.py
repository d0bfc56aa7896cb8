"""pylti1p3, the LTI 1.3 library, wired to our registrations: its tool configuration reads
``LtiRegistration`` rows (keys decrypted only in memory), its launch state and nonces live in the cache
(Redis), and every call it makes goes through the safe fetcher (``lti.outbound``)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config.abstract import ToolConfAbstract

from issuers.keys import decrypt_secret
from issuers.scoping import unscoped
from lti.models import LtiRegistration
from lti.outbound import safe_session

NONCE_USED_SECONDS = 24 * 3600  # longer than any id_token lives


def library_registration(registration: LtiRegistration) -> Registration:
    """The library's view of one registration, with the tool's private key decrypted for this use only."""
    found = Registration()
    found.set_issuer(registration.issuer)
    found.set_client_id(registration.client_id)
    found.set_auth_login_url(registration.auth_url)
    found.set_auth_token_url(registration.token_url)
    found.set_key_set_url(registration.keyset_url)
    found.set_tool_public_key(registration.public_key_pem)
    found.set_tool_private_key(decrypt_secret(registration.private_key_encrypted).decode())
    return found


def registration_for(iss: str, client_id: str | None) -> LtiRegistration | None:
    """The enabled registration a platform's message names (its ``iss`` and our ``client_id`` there)."""
    with unscoped("an LTI message names its registration by issuer and client id, which tells the college"):
        rows = LtiRegistration.objects.filter(issuer=iss, disabled_at=None).select_related("tenant")
        if client_id:
            rows = rows.filter(client_id=client_id)
        found = list(rows[:2])
    return found[0] if len(found) == 1 else None


class ToolConf(ToolConfAbstract):
    """Every issuer may have many client ids (one per registration); the one found is kept for the caller."""

    def __init__(self, registration: LtiRegistration | None = None) -> None:
        # An OIDC login comes to the login URL of one registration (``fixed``); a launch names its own.
        self.fixed = registration
        self.registration: LtiRegistration | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        # pylti1p3 asks this only of an issuer with one client; ours may have many, so name none.
        return self.find_registration_by_params(iss, "")

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        if self.fixed is not None:
            matches = self.fixed.issuer == iss and client_id in (None, "", self.fixed.client_id)
            self.registration = self.fixed if matches and self.fixed.disabled_at is None else None
        else:
            self.registration = registration_for(iss, client_id)
        return library_registration(self.registration) if self.registration else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str, *args: Any,
                                  **kwargs: Any) -> Deployment | None:
        registration = self.registration or registration_for(iss, client_id)
        if registration is None or not deployment_id:
            return None
        # A platform may add deployments of a registration (Moodle: one per site or course category); any of
        # them is the college's, as the registration is.
        return Deployment().set_deployment_id(deployment_id)


def oidc_login(request: HttpRequest, conf: ToolConf) -> DjangoOIDCLogin:
    return DjangoOIDCLogin(request, conf, launch_data_storage=DjangoCacheDataStorage())


def message_launch(request: HttpRequest, conf: ToolConf) -> DjangoMessageLaunch:
    return DjangoMessageLaunch(request, conf, launch_data_storage=DjangoCacheDataStorage(),
                               requests_session=safe_session())


def launch_from_cache(launch_id: str, request: HttpRequest, conf: ToolConf) -> Any:
    return DjangoMessageLaunch.from_cache(launch_id, request, conf, launch_data_storage=DjangoCacheDataStorage(),
                                          requests_session=safe_session())


def nonce_spend(nonce: str) -> bool:
    """True the first time a launch's nonce is seen, False for ever after (a replayed launch). The library
    checks that we issued the nonce; it does not stop the same id_token being posted twice."""
    return bool(cache.add(f"lti:nonce-used:{nonce}", 1, NONCE_USED_SECONDS))


def service_connector(registration: LtiRegistration) -> ServiceConnector:
    return ServiceConnector(library_registration(registration), safe_session())
