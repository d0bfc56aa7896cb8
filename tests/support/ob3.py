"""Open Badges 3.0 helpers: the spec's eddsa-rdfc-2022 test vector (in ob3check's fixtures), Digital
Bazaar's rdf-canonize (from var/ob3check, built by `make ob3check`) to compare our RDFC-1.0 with,
ob3check itself, and a foreign OB 3.0 issuer on loopback ("Harbour College", the ``harbour`` fixture)
whose credentials ob3check's own sample issuer signs (tests/support/ob3_credentials.mjs): a did:web DID
document, a signed BitstringStatusList, a 1EdTechRevocationList, one credential per case, good and
broken."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.foreign import Server

ROOT = Path(__file__).resolve().parents[2]
OB3CHECK = ROOT / "var" / "ob3check"
SPEC_VECTOR = OB3CHECK / "fixtures" / "spec-test-vector"
SPEC_VECTOR_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
GENERATOR = Path(__file__).resolve().parent / "ob3_credentials.mjs"
LEARNER_EMAIL = "learner@example.org"
_TYPES = {".json": "application/vc+ld+json", ".jwt": "text/plain", ".png": "image/png", ".svg": "image/svg+xml"}


def _require_ob3check() -> None:
    assert (OB3CHECK / ".installed").exists(), "run `make ob3check` first (make test does)"


def spec_vector_credential() -> dict[str, Any]:
    _require_ob3check()
    return json.loads((SPEC_VECTOR / "credential.json").read_text())


def rdf_canonize(documents: list[str]) -> list[str]:
    """Digital Bazaar's RDFC-1.0 of each N-Quads document."""
    _require_ob3check()
    result = subprocess.run(["node", str(ROOT / "tools" / "ob3" / "canonize.mjs")], input=json.dumps(documents),
                            capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    return json.loads(result.stdout)


def ob3check(target: str, *args: str) -> tuple[int, str]:
    """ob3check's exit status (0 VALID, 1 INVALID) and report for a file or loopback URL."""
    _require_ob3check()
    result = subprocess.run(["node", str(OB3CHECK / "ob3check.mjs"), target, *args], capture_output=True,
                            text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def ob3check_report(target: str | Path) -> dict[str, Any]:
    """ob3check's machine-readable report on a file or loopback URL: {"valid", "checks": [...]}."""
    _code, report = ob3check(str(target), "--json")
    return json.loads(report)


def ob3check_failures(report: dict[str, Any]) -> list[str]:
    return [f"{c['name']}: {c['message']}" for c in report["checks"] if c["status"] == "FAIL"]


@dataclass
class ForeignCase:
    name: str
    path: Path  # the file, for ob3check and for uploads
    url: str  # where the foreign server serves it
    expect: str  # valid, revoked, expired or invalid

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @property
    def image(self) -> bool:
        return self.path.suffix in (".png", ".svg")


class ForeignOb3Issuer:
    """"Harbour College", another platform's OB 3.0 issuer (did:web), on a loopback server of its own."""

    def __init__(self, out: Path, *, email: str = LEARNER_EMAIL) -> None:
        _require_ob3check()
        self.server = Server()
        self.out = out
        subprocess.run(["node", str(GENERATOR), "--ob3check", str(OB3CHECK), "--base", self.server.url(""),
                        "--out", str(out), "--email", email], check=True, capture_output=True, timeout=120)
        for path in out.rglob("*"):
            if path.is_file():
                self.serve(path, "/" + path.relative_to(out).as_posix())
        self.did = f"did:web:127.0.0.1%3A{self.server.port}"
        self.cases = {name: ForeignCase(name, out / case["file"], self.server.url("/" + case["file"]),
                                        case["expect"])
                      for name, case in json.loads((out / "cases.json").read_text()).items()}

    def serve(self, path: Path, at: str) -> None:
        content_type = _TYPES.get(path.suffix, "application/json")
        self.server.routes[at] = (200, {"Content-Type": content_type}, path.read_bytes())

    def revoke_index_7(self) -> None:
        """Publish the status list in which the issuer has also revoked index 7 (the good credential's)."""
        self.serve(self.out / "status" / "1-after", "/status/1")

    def unrevoke(self) -> None:
        self.serve(self.out / "status" / "1", "/status/1")

    def close(self) -> None:
        self.server.close()


@pytest.fixture(scope="module")
def harbour(tmp_path_factory) -> Iterator[ForeignOb3Issuer]:
    """The foreign OB 3.0 issuer, made once per test module (signing takes node a second or two).
    Loopback is a private address: tests that verify its credentials set VERIFY_ALLOW_PRIVATE_ADDRESSES."""
    issuer = ForeignOb3Issuer(tmp_path_factory.mktemp("harbour"))
    yield issuer
    issuer.close()
