"""Open Badges 3.0 helpers: the spec's eddsa-rdfc-2022 test vector (in ob3check's fixtures), Digital
Bazaar's rdf-canonize (from var/ob3check, built by `make ob3check`) to compare our RDFC-1.0 with, and
ob3check itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OB3CHECK = ROOT / "var" / "ob3check"
SPEC_VECTOR = OB3CHECK / "fixtures" / "spec-test-vector"
SPEC_VECTOR_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


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
