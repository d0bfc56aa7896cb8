from django.urls import path

from assertions import views

app_name = "assertions"

# Mounted under /t/<tenant_slug>/ by badgeplatform.urls, before issuers.urls: the tutor dashboard is the
# tenant's landing page (the URL that issuers:dashboard names).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("learners/", views.learners, name="learners"),
    path("badges/<uuid:public_id>/", views.badge_detail, name="badge"),
    path("badges/<uuid:public_id>/award/", views.award, name="award"),
    path("badges/<uuid:public_id>/cohort/", views.cohort, name="cohort"),
    path("awards/<uuid:public_id>/", views.assertion_detail, name="assertion"),
    path("awards/<uuid:public_id>/status/", views.assertion_status, name="assertion_status"),
    path("awards/<uuid:public_id>/revoke/", views.assertion_revoke, name="revoke"),
    path("awards/<uuid:public_id>/resend/", views.assertion_resend, name="resend"),
    path("awards/<uuid:public_id>/correct/", views.assertion_correct, name="correct"),
    path("erasure/", views.erasure, name="erasure"),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:public_id>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:public_id>/start/", views.job_start, name="job_start"),
    path("jobs/<uuid:public_id>/bad-rows.csv", views.job_problems, name="job_problems"),
]
