"""allauth's URL conf (``allauth.urls``) with its SAML views imported on their first request.

``allauth.urls`` imports every provider's views with the URL conf, and the SAML provider's bring
python3-saml, lxml and xmlsec: about 11 MB in every web worker, most of which never sees a SAML
sign-in (a 10,000-row upload's worker must stay under 150 MB: ``bench/api_awards.py``). These are the
same patterns, in the same order, built the way ``allauth.urls`` builds them, except that the SAML
provider's five views are stand-ins that import the real ones when called (CSRF exemption as
allauth's). ``tests/badgeplatform/test_urls.py`` checks the patterns against ``allauth.urls``'s and
that loading the URL conf imports no SAML library.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from allauth import app_settings
from allauth.socialaccount import providers
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic.base import RedirectView

SAML = "saml"
_SAML_VIEWS = "allauth.socialaccount.providers.saml.views"


def _saml_view(name: str, *, exempt: bool = False) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return getattr(import_module(_SAML_VIEWS), name)(request, **kwargs)

    view.__name__ = view.__qualname__ = f"saml_{name}"
    return csrf_exempt(view) if exempt else view


# allauth.socialaccount.providers.saml.urls, with the stand-ins (allauth exempts acs and sls from CSRF:
# the identity provider posts them).
SAML_PATTERNS: list[URLPattern | URLResolver] = [
    re_path(r"^saml/(?P<organization_slug>[^/]+)/", include([
        path("acs/", _saml_view("acs", exempt=True), name="saml_acs"),
        path("acs/finish/", _saml_view("finish_acs"), name="saml_finish_acs"),
        path("sls/", _saml_view("sls", exempt=True), name="saml_sls"),
        path("metadata/", _saml_view("metadata"), name="saml_metadata"),
        path("login/", _saml_view("login"), name="saml_login"),
    ])),
]


def _provider_patterns() -> list[URLPattern | URLResolver]:
    classes = providers.registry.get_class_list()
    classes = [c for c in classes if c.id != "openid_connect"] + [c for c in classes if c.id == "openid_connect"]
    patterns: list[URLPattern | URLResolver] = []
    for provider_class in classes:
        if provider_class.id == SAML:
            patterns += SAML_PATTERNS
            continue
        patterns += getattr(import_module(f"{provider_class.get_package()}.urls"), "urlpatterns", None) or []
    return patterns


urlpatterns: list[URLPattern | URLResolver] = []
if not app_settings.HEADLESS_ONLY:
    urlpatterns += [path("", include("allauth.account.urls"))]
    if app_settings.MFA_ENABLED:
        urlpatterns += [path("2fa/", include("allauth.mfa.urls"))]
if app_settings.SOCIALACCOUNT_ENABLED and not app_settings.HEADLESS_ONLY:
    urlpatterns += [
        path("3rdparty/", include("allauth.socialaccount.urls")),
        # allauth's legacy redirects, kept as allauth.urls keeps them
        path("social/login/cancelled/", RedirectView.as_view(pattern_name="socialaccount_login_cancelled",
                                                             permanent=True)),
        path("social/login/error/", RedirectView.as_view(pattern_name="socialaccount_login_error", permanent=True)),
        path("social/signup/", RedirectView.as_view(pattern_name="socialaccount_signup", permanent=True)),
        path("social/connections/", RedirectView.as_view(pattern_name="socialaccount_connections", permanent=True)),
    ]
if app_settings.SOCIALACCOUNT_ENABLED:
    urlpatterns += _provider_patterns()
if app_settings.USERSESSIONS_ENABLED and not app_settings.HEADLESS_ONLY:
    urlpatterns += [path("sessions/", include("allauth.usersessions.urls"))]
