from django.urls import path

from endorsements import views

app_name = "endorsements"

urlpatterns = [
    path("t/<slug:tenant_slug>/endorsements/", views.tenant_endorsements, name="tenant"),
    path("t/<slug:tenant_slug>/endorsements/requests/<uuid:public_id>/withdraw/", views.tenant_request_revoke,
         name="request_revoke"),
    path("t/<slug:tenant_slug>/endorsements/requests/<uuid:public_id>/resend/", views.tenant_request_resend,
         name="request_resend"),
    path("endorse/<str:token>/", views.answer, name="answer"),
    path("endorser/", views.endorser, name="endorser"),
    path("endorser/endorsements/<uuid:public_id>/withdraw/", views.withdraw, name="withdraw"),
]
