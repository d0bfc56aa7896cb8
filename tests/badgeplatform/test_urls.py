"""The URL conf: allauth's pages as allauth.urls has them, without importing the SAML libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import allauth.urls
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from badgeplatform import allauth_urls

ROOT = Path(__file__).resolve().parents[2]


def _flat(patterns: list, prefix: str = "") -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _flat(p.url_patterns, prefix + str(p.pattern))
        else:
            assert isinstance(p, URLPattern)
            out.append((prefix + str(p.pattern), p.name))
    return out


def test_allauths_urls_are_allauth_urls_own_in_the_same_order():
    assert _flat(allauth_urls.urlpatterns) == _flat(allauth.urls.urlpatterns)


def test_the_saml_stand_ins_are_exempt_from_csrf_where_allauths_views_are():
    from allauth.socialaccount.providers.saml import urls as saml_urls

    def views(patterns: list) -> dict[str | None, bool]:
        (resolver,) = patterns
        return {p.name: getattr(p.callback, "csrf_exempt", False) for p in resolver.url_patterns}

    assert views(allauth_urls.SAML_PATTERNS) == views(saml_urls.urlpatterns)
    assert views(allauth_urls.SAML_PATTERNS)["saml_acs"] is True


def test_loading_the_url_conf_imports_no_saml_library():
    code = ("import sys, django; django.setup(); from django.urls import get_resolver; "
            "get_resolver().url_patterns; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'onelogin', 'xmlsec', 'lxml'}))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "badgeplatform.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_saml_stand_in_answers_as_allauths_view(db, client: Client):
    # An organization with no SAML app configured: allauth's own view answers 404 once imported.
    answer = client.get(reverse("saml_metadata", kwargs={"organization_slug": "no-such-college"}))
    assert answer.status_code == 404


def test_what_a_web_process_loads_once_is_frozen_out_of_the_cycle_collector():
    """badgeplatform.wsgi loads the URL conf and freezes what is loaded (gc.freeze): a full collection during
    a request walks only what requests made, not Django and the apps."""
    code = ("import gc; before = len(gc.get_objects()); import badgeplatform.wsgi; "
            "import sys; print(gc.get_freeze_count(), len(gc.get_objects()), before, "
            "'assertions.urls' in sys.modules)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "badgeplatform.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    frozen, tracked, before, urls_loaded = out.stdout.split()
    assert urls_loaded == "True"  # the URL conf's modules are among the frozen
    assert int(frozen) > 50_000, out.stdout
    assert int(tracked) < int(before) + 1_000, out.stdout  # what is left tracked: about what was before
