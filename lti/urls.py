from django.urls import path

from lti import views

app_name = "lti"

_REGISTRATION = "t/<slug:tenant_slug>/settings/lti/<uuid:public_id>/"

urlpatterns = [
    # What learning platforms call, and the pages they open (README "LTI 1.3").
    path("lti/register/<str:token>/", views.register, name="register"),
    path("lti/login/<uuid:public_id>/", views.login, name="login"),
    path("lti/jwks/<uuid:public_id>/", views.jwks, name="jwks"),
    path("lti/launch/", views.launch, name="launch"),
    path("lti/deep-link/", views.deep_link, name="deep_link"),
    # The college admin's page under Settings.
    path("t/<slug:tenant_slug>/settings/lti/", views.registrations, name="registrations"),
    path(_REGISTRATION, views.registration, name="registration"),
    path(f"{_REGISTRATION}toggle/", views.registration_toggle, name="registration_toggle"),
]
