from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("t/<slug:tenant_slug>/outcomes/", views.dashboard, name="dashboard"),
]
