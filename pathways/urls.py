from django.urls import path

from pathways import views

app_name = "pathways"

urlpatterns = [
    path("t/<slug:tenant_slug>/pathways/", views.pathway_list, name="list"),
    path("t/<slug:tenant_slug>/pathways/new/", views.pathway_new, name="new"),
    path("t/<slug:tenant_slug>/pathways/<uuid:public_id>/", views.pathway_detail, name="detail"),
    path("t/<slug:tenant_slug>/pathways/completions/<uuid:public_id>/resolve/", views.completion_resolve,
         name="completion_resolve"),
    path("t/<slug:tenant_slug>/cohorts/", views.cohort_list, name="cohorts"),
    path("t/<slug:tenant_slug>/cohorts/<uuid:public_id>/", views.cohort_detail, name="cohort"),
    path("t/<slug:tenant_slug>/cohorts/from-job/<uuid:public_id>/", views.cohort_from_job, name="cohort_from_job"),
    path("pathways/<uuid:public_id>/", views.public_pathway, name="public"),
]
