from django.urls import path

from issuers import views

app_name = "issuers"

# Mounted under /t/<tenant_slug>/ by badgeplatform.urls.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("staff/", views.staff, name="staff"),
    path("staff/<uuid:public_id>/", views.member_edit, name="member_edit"),
    path("staff/<uuid:public_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<uuid:public_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<uuid:public_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<uuid:public_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("settings/", views.tenant_settings, name="settings"),
    path("issuers/", views.issuer_list, name="issuers"),
    path("issuers/<uuid:public_id>/", views.issuer_detail, name="issuer"),
    path("issuers/<uuid:public_id>/rotate-key/", views.issuer_rotate_key, name="issuer_rotate_key"),
]
