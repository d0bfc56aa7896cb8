"""The OAuth 2.0 server's endpoints (django-oauth-toolkit's views, under its own URL names), mounted at
/ims/ob/v3p0/oauth/: registration (ours in front of DOT's), consent, token, revocation."""

from django.urls import path
from oauth2_provider import views as dot

from obapi import views

app_name = "oauth2_provider"

urlpatterns = [
    path("register", views.register, name="dcr-register"),
    path("register/<str:client_id>", dot.DynamicClientRegistrationManagementView.as_view(),
         name="dcr-register-management"),
    path("authorize", views.Consent.as_view(), name="authorize"),
    path("token", dot.TokenView.as_view(), name="token"),
    path("revoke", dot.RevokeTokenView.as_view(), name="revoke-token"),
]
