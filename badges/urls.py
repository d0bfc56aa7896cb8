from django.urls import path

from badges import views

app_name = "badges"

# Mounted under /t/<tenant_slug>/ by badgeplatform.urls.
urlpatterns = [
    path("badges/new/", views.badge_create, name="create"),
    path("badges/design.svg", views.design_preview, name="design_preview"),
    path("badges/<uuid:public_id>/edit/", views.badge_edit, name="edit"),
    path("badges/<uuid:public_id>/retire/", views.badge_retire, name="retire"),
]
