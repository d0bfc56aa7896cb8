"""The 1EdTech reference validator (openbadges 1.1.2, in its own venv built by `make obvenv`), and our
badges served by a live server for it to judge."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import RECIPIENT, SVG, eager_tasks

ROOT = Path(__file__).resolve().parents[2]
OBVENV_PYTHON = ROOT / "var" / "obvenv" / "bin" / "python"


def validate(target: str, *, recipient: str | None = RECIPIENT) -> dict:
    assert OBVENV_PYTHON.exists(), "run `make obvenv` first (make test does)"
    cmd = [str(OBVENV_PYTHON), str(ROOT / "tools" / "ob2" / "check.py"), target]
    if recipient:
        cmd += ["--recipient", recipient]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def errors(report: dict) -> list[str]:
    return [f"{m.get('name')}: {m.get('result')}" for m in report["messages"] if m["messageLevel"] == "ERROR"]


@pytest.fixture
def served(live_server, settings, tenant_a, issuer_a, tmp_path):
    """``(live_server, {"png": badge, "svg": badge}, tmp_path)``, tasks run as they are queued."""
    settings.PUBLIC_BASE_URL = live_server.url
    badges = {}
    with tenant_scope(tenant_a):
        for kind in ("png", "svg"):
            badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name=f"Bricklaying ({kind})",
                               description="Lays a straight course of bricks.", image_type=kind,
                               criteria_narrative="Lay ten bricks level and plumb.")
            if kind == "png":
                out = io.BytesIO()
                Image.new("RGB", (128, 128), (200, 30, 30)).save(out, "PNG")
                data = out.getvalue()
            else:
                data = SVG
            badge.image.save(f"b.{kind}", ContentFile(data), save=False)
            badge.save()
            badges[kind] = badge
    with eager_tasks():
        yield live_server, badges, tmp_path
