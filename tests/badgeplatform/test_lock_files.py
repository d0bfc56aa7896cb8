"""Reproducible installs: the production image and CI install exactly the locked versions, each checked
against its hash, the locks match pyproject.toml, and pyproject lists nothing the code does not use."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"prod": ROOT / "requirements" / "prod.txt", "dev": ROOT / "requirements" / "dev.txt"}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def name_of(requirement: str) -> str:
    return re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def pins(lock: Path) -> dict[str, str]:
    """name -> version, asserting that every requirement is pinned exactly and carries a hash."""
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock.read_text()):
        first = block.splitlines()[0]
        if first.startswith("#") or not first.strip():
            continue
        match = re.match(r"([A-Za-z0-9_.\-\[\]]+)==(\S+) \\$", first)
        assert match, f"{lock.name}: not pinned exactly: {first}"
        assert "--hash=sha256:" in block, f"{lock.name}: no hash for {first}"
        found[name_of(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize("which", ["prod", "dev"])
def test_every_locked_requirement_is_pinned_with_a_hash(which):
    assert len(pins(LOCKS[which])) > 20


def test_the_locks_hold_what_pyproject_asks_for_and_prod_holds_no_dev_tool():
    runtime = {name_of(r) for r in PYPROJECT["project"]["dependencies"]}
    dev = {name_of(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    prod, full = pins(LOCKS["prod"]), pins(LOCKS["dev"])
    assert runtime <= set(prod)
    assert runtime | dev <= set(full)
    assert {"pytest", "mypy", "ruff", "playwright"}.isdisjoint(prod)
    assert all(full[name] == version for name, version in prod.items())  # CI tests what production runs


def test_the_image_and_make_install_install_only_from_the_locks():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements/prod.txt" in dockerfile
    assert "pip install --no-deps --no-build-isolation ." in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes --no-deps -r requirements/dev.txt" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
    assert not re.search(r"pip install[^\n]*\.\[dev\]", makefile)
    assert "make install" in (ROOT / ".ci" / "run").read_text()


def test_the_locks_are_up_to_date_with_pyproject(tmp_path):
    """What `make lock` would write now (keeping the pins) is what is committed."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv (a dev dependency) is not installed in this virtualenv"
    for which, lock in LOCKS.items():
        out = tmp_path / lock.name
        shutil.copy(lock, out)
        extra = ["--extra", "dev"] if which == "dev" else []
        subprocess.run([uv, "pip", "compile", "pyproject.toml", "requirements/build.in", "--generate-hashes",
                        "--quiet", "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28",
                        *extra, "-o", str(out), "--no-header"], cwd=ROOT, check=True, timeout=300)
        body = lock.read_text().split("\n", 2)[2]  # the committed file's two header lines name its own path
        assert out.read_text() == body, f"{lock} is out of date with pyproject.toml: run `make lock`"


# Where the code uses each runtime dependency: an import, or the name Django or a command loads it by.
USED_BY = {
    "django": r"^from django\b", "djangorestframework": r"^from rest_framework\b", "celery": r"^from celery\b",
    "kombu": r"^from kombu\b", "redis": r"backends\.redis\.RedisCache", "pillow": r"^from PIL\b",
    "cryptography": r"^from cryptography\b", "psycopg": r"\bpsycopg\b|postgres", "django-allauth": r"^from allauth\b",
    "django-scopes": r"^from django_scopes\b", "dj-database-url": r"^import dj_database_url",
    "defusedxml": r"^(from|import) defusedxml\b", "cairosvg": r"^\s*(import|from) cairosvg\b",
    "whitenoise": r"whitenoise\.middleware", "gunicorn": r"gunicorn badgeplatform\.wsgi",
    "drf-spectacular": r"^from drf_spectacular\b",
    "drf-spectacular-sidecar": r"\"drf_spectacular_sidecar\"", "segno": r"^\s*import segno\b",
    "django-csp": r"csp\.middleware\.CSPMiddleware", "django-storages": r"storages\.backends\.s3\.S3Storage",
    "joserfc": r"^from joserfc\b", "pyld": r"^\s*from pyld\b",
    "prometheus-client": r"^from prometheus_client\b",
    "django-oauth-toolkit": r"^from oauth2_provider\b",
    "pylti1p3": r"^from pylti1p3\b",
    "jsonschema": r"^\s*from jsonschema\b", "rfc3339-validator": r"rfc3339_validator",
}


def test_every_runtime_dependency_is_used_by_the_code():
    apps = [path.parent for path in ROOT.glob("*/apps.py")] + [ROOT / "badgeplatform"]
    sources = "\n".join(path.read_text(errors="replace") for folder in apps for path in folder.rglob("*.py"))
    sources += (ROOT / "Dockerfile").read_text() + (ROOT / "docker-compose.yml").read_text()
    declared = {name_of(r) for r in PYPROJECT["project"]["dependencies"]}
    assert declared == set(USED_BY), "a runtime dependency was added or removed: say here where it is used"
    unused = [name for name, pattern in USED_BY.items() if not re.search(pattern, sources, re.MULTILINE)]
    assert unused == []
