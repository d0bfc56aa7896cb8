"""What a wallet reads before it asks for anything: the credential issuer metadata (OpenID4VCI 1.0
section 12.2) at ``/.well-known/openid-credential-issuer`` and the authorization server metadata
(RFC 8414) at ``/.well-known/oauth-authorization-server``. The platform is one credential issuer,
and its own authorization server, whose identifier is ``PUBLIC_BASE_URL``; each award is offered
as its Open Badges 3.0 credential in two formats.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from credentials.jsonld import CREDENTIAL_CONTEXT

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
LDP_VC = "OpenBadgeCredential_ldp_vc"
JWT_VC_JSON = "OpenBadgeCredential_jwt_vc_json"
FORMATS = {LDP_VC: "ldp_vc", JWT_VC_JSON: "jwt_vc_json"}
BINDING_METHODS = ["did:key", "did:jwk", "jwk"]
PROOF_TYPES = {"jwt": {"proof_signing_alg_values_supported": ["EdDSA", "Ed25519", "ES256"]}}


def issuer_identifier() -> str:
    return str(settings.PUBLIC_BASE_URL)


def endpoint(name: str) -> str:
    return f"{issuer_identifier()}/wallet/{name}"


def _display(description: str) -> dict[str, Any]:
    return {"display": [{"name": "Open Badge", "locale": "en", "description": description,
                         "background_color": "#1d4ed8", "text_color": "#ffffff"}]}


def credential_issuer_metadata() -> dict[str, Any]:
    common = {"scope": "OpenBadgeCredential", "cryptographic_binding_methods_supported": BINDING_METHODS,
              "proof_types_supported": PROOF_TYPES}
    return {
        "credential_issuer": issuer_identifier(),
        "credential_endpoint": endpoint("credential"),
        "nonce_endpoint": endpoint("nonce"),
        "display": [{"name": "Badge Platform", "locale": "en"}],
        "credential_configurations_supported": {
            LDP_VC: {"format": "ldp_vc", **common, "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                     "credential_definition": {"@context": list(CREDENTIAL_CONTEXT), "type": CREDENTIAL_TYPES},
                     "credential_metadata": _display("An Open Badges 3.0 credential with its Data Integrity proof")},
            JWT_VC_JSON: {"format": "jwt_vc_json", **common, "credential_signing_alg_values_supported": ["RS256"],
                          "credential_definition": {"type": CREDENTIAL_TYPES},
                          "credential_metadata": _display("An Open Badges 3.0 credential as a VC-JWT")},
        },
    }


def authorization_server_metadata() -> dict[str, Any]:
    return {
        "issuer": issuer_identifier(),
        "token_endpoint": endpoint("token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def credential_offer(code: str, *, tx_code: bool) -> dict[str, Any]:
    """The credential offer (section 4.1.1) of one award: both formats, one pre-authorized code."""
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code:
        grant["tx_code"] = {"input_mode": "numeric", "length": 6,
                            "description": "The code shown beside the QR code on your badge's page"}
    return {"credential_issuer": issuer_identifier(), "credential_configuration_ids": [LDP_VC, JWT_VC_JSON],
            "grants": {PRE_AUTHORIZED_GRANT: grant}}
