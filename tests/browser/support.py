"""What every browser test shares: Debian's Chromium, where screenshots go, and the axe-core check."""

from __future__ import annotations

import os
from pathlib import Path

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"  # never `playwright install`: it cannot download here
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def assert_accessible(page, where: str = "") -> None:  # noqa: ANN001 - a Playwright Page
    """No serious or critical WCAG violations on the page as it is now (axe-core)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    assert not bad, f"{where or page.url}: {[(v['id'], [n['target'] for n in v['nodes']]) for v in bad]}"
