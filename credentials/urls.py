from django.urls import path

from credentials import views

app_name = "credentials"

urlpatterns = [
    path("t/<slug:tenant_slug>/settings/ob3-keys/", views.keys, name="keys"),
    path("t/<slug:tenant_slug>/settings/ob3-keys/<uuid:public_id>/rotate/", views.key_rotate, name="key_rotate"),
]
