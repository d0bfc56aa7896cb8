from django.urls import path

from obapi import views

app_name = "obapi"

urlpatterns = [
    path("backpack/platforms/", views.platforms, name="platforms"),
    path("backpack/platforms/<str:public_id>/disconnect/", views.platform_disconnect, name="platform_disconnect"),
]
