from django.urls import path

from webhooks import views

app_name = "webhooks"

_ENDPOINT = "t/<slug:tenant_slug>/settings/webhooks/<uuid:public_id>/"

urlpatterns = [
    path("t/<slug:tenant_slug>/settings/webhooks/", views.endpoints, name="endpoints"),
    path(_ENDPOINT, views.endpoint, name="endpoint"),
    *[path(f"{_ENDPOINT}{action}/", views.endpoint_action, {"action": action}, name=f"endpoint_{action}")
      for action in ("rotate", "enable", "disable", "delete")],
    path("t/<slug:tenant_slug>/settings/webhooks/deliveries/<uuid:public_id>/resend/", views.delivery_resend,
         name="delivery_resend"),
]
