"""A real wallet for the wallet tests: Animo's OpenID4VCI client (@openid4vc/openid4vci, from npm,
installed by `make oid4vci-client` into var/oid4vci-client) driven by tools/oid4vci-client/wallet.mjs;
and the offer as the learner's badge page shows it (the deep link and the transaction code)."""

from __future__ import annotations

import html
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import OKPKey

from credentials.multibase import multikey_from_public_key

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "var" / "oid4vci-client"
SCRIPT = ROOT / "tools" / "oid4vci-client" / "wallet.mjs"
LDP_VC, JWT_VC_JSON = "OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_jwt_vc_json"


@dataclass
class PageOffer:
    deep_link: str
    tx_code: str | None


def offer_on(page: str) -> PageOffer:
    """The "Add to wallet" deep link and the transaction code shown beside the QR code."""
    link = re.search(r'id="wallet-add" href="([^"]+)"', page)
    assert link, page
    code = re.search(r'id="wallet-tx-code"[^>]*>(\d{6})<', page)
    return PageOffer(html.unescape(link.group(1)), code.group(1) if code else None)


def wallet(offer: PageOffer, *, configuration: str = LDP_VC, key: str = "did:key", tx_code: str | None = None,
           token_twice: bool = False, nonce: str = "fresh") -> dict[str, Any]:
    """What the wallet got at each step (``token``, ``credential``, ``holder``...) or was refused
    (``tokenError``, ``credentialError``...: the issuer's ``{error, error_description}``)."""
    assert (CLIENT / ".installed").exists(), "run `make oid4vci-client` first (make test does)"
    assert (CLIENT / "wallet.mjs").read_bytes() == SCRIPT.read_bytes(), "wallet.mjs changed: run `make oid4vci-client`"
    plan = {"offer": offer.deep_link, "txCode": offer.tx_code if tx_code is None else tx_code,
            "configuration": configuration, "key": key, "tokenTwice": token_twice, "nonce": nonce}
    result = subprocess.run(["node", str(CLIENT / "wallet.mjs"), json.dumps(plan)], capture_output=True, text=True,
                            timeout=120, cwd=CLIENT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def key_proof(nonce: str, *, aud: str = "http://127.0.0.1:8000", typ: str = "openid4vci-proof+jwt",
              iat: float | None = None) -> tuple[str, str]:
    """A JWT key proof (OpenID4VCI 1.0 appendix F.1) by a new Ed25519 key named as did:key, and that DID:
    for the tests that send one request by hand."""
    key = Ed25519PrivateKey.generate()
    multikey = multikey_from_public_key(key.public_key())
    did = f"did:key:{multikey}"
    header = {"alg": "Ed25519", "typ": typ, "kid": f"{did}#{multikey}"}
    claims = {"aud": aud, "iat": int(time.time() if iat is None else iat), "nonce": nonce}
    return jws.serialize_compact(header, json.dumps(claims), OKPKey.import_key(key), algorithms=["Ed25519"]), did
