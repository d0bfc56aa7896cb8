"""The app's URLs plus one bench-only view: a minimal Django view returning constant JSON, served
through the same middleware and settings as the public documents (bench/wsgi.py selects this)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from badgeplatform.urls import urlpatterns as app_urlpatterns


def minimal(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/minimal", minimal), *app_urlpatterns]
