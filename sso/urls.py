from django.urls import path

from sso import views

app_name = "sso"

urlpatterns = [
    path("t/<slug:tenant_slug>/settings/single-sign-on/", views.settings_page, name="settings"),
]
