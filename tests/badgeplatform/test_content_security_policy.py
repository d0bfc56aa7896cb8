"""Every HTML page carries a Content-Security-Policy that allows no inline script or style without the
request's nonce and nothing from another origin but images; no template relies on what it forbids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
EMAILS = "email"  # email bodies are read by mail clients, not served under our policy


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("name", ["account_login", "verify", "api:docs"])
def test_pages_carry_a_policy_with_a_fresh_nonce_and_no_unsafe_inline(client, db, name):
    first, second = client.get(reverse(name)), client.get(reverse(name))
    assert first.status_code == 200
    directives = policy(first)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[kind]
        assert not [s for s in directives[kind] if s not in ("'self'",) and not s.startswith("'nonce-")], directives
    nonces = [s for s in directives.get("script-src", []) + directives["style-src"] if s.startswith("'nonce-")]
    if nonces:  # a page with an inline block names the nonce, which differs on every response
        assert nonces[0] not in policy(second).get("script-src", []) + policy(second)["style-src"]


def test_the_nonce_on_an_inline_script_is_the_one_in_the_header(client, db):
    response = client.get(reverse("api:docs"))
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in response.content.decode()


@pytest.mark.parametrize("template", [t for t in TEMPLATES if EMAILS not in t.parts], ids=lambda t: t.name)
def test_no_template_has_an_inline_script_style_or_handler_the_policy_would_refuse(template):
    text = template.read_text()
    assert not re.findall(r"<(?:script|style)(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", text), template
    assert not re.findall(r"\son[a-z]+\s*=", text), f"{template}: an on* handler attribute"
    assert not re.findall(r"\sstyle\s*=", text), f"{template}: a style attribute"
    assert "javascript:" not in text, template
