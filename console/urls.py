from django.urls import path

from console import views

app_name = "console"

# Mounted at the root by badgeplatform.urls: the console under /platform/, and the first admin's set-up
# checklist among the college's staff pages (/t/<slug>/, scoped by TenantScopeMiddleware).
urlpatterns = [
    path("t/<slug:tenant_slug>/setup/", views.setup, name="setup"),
    path("platform/", views.colleges, name="colleges"),
    path("platform/usage.csv", views.colleges_csv, name="colleges_csv"),
    path("platform/domains/", views.domains, name="domains"),
    path("platform/domains/<uuid:public_id>/", views.domain_decide, name="domain_decide"),
    path("platform/health/", views.health, name="health"),
    path("platform/colleges/<uuid:public_id>/", views.college, name="college"),
    path("platform/colleges/<uuid:public_id>/usage.csv", views.college_usage_csv, name="college_usage_csv"),
    path("platform/colleges/<uuid:public_id>/status/", views.college_status, name="college_status"),
    path("platform/colleges/<uuid:public_id>/limits/", views.college_limits, name="college_limits"),
    path("platform/colleges/<uuid:public_id>/offboard/", views.college_offboard, name="college_offboard"),
    path("platform/offboardings/<uuid:public_id>/cancel/", views.offboarding_cancel, name="offboarding_cancel"),
    path("platform/offboardings/<uuid:public_id>/retry/", views.offboarding_retry, name="offboarding_retry"),
    path("platform/offboardings/<uuid:public_id>/archive/", views.offboarding_archive, name="offboarding_archive"),
]
