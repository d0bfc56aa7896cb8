"""The Open Badges 3.0 API's endpoints, their own URL map so the service description documents exactly
these (``obapi.api.Discovery`` reads this module)."""

from django.urls import path

from obapi import api

urlpatterns = [
    path("ims/ob/v3p0/discovery", api.Discovery.as_view(), name="obapi_discovery"),
    path("ims/ob/v3p0/credentials", api.Credentials.as_view(), name="obapi_credentials"),
    path("ims/ob/v3p0/profile", api.Profile.as_view(), name="obapi_profile"),
]
