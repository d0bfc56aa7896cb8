from django.urls import path

from backpack import views

app_name = "backpack"

urlpatterns = [
    path("claim/<str:token>/", views.claim, name="claim"),
    path("backpack/", views.home, name="home"),
    path("backpack/badges/<uuid:public_id>/", views.badge, name="badge"),
    path("backpack/badges/<uuid:public_id>/action/", views.badge_action, name="badge_action"),
    path("backpack/badges/<uuid:public_id>/download/<slug:kind>/", views.download, name="download"),
    path("backpack/badges/<uuid:public_id>/certificate/", views.certificate, name="certificate"),
    path("backpack/import/", views.import_badge, name="import"),
    path("backpack/export/", views.export_all, name="export"),
    path("backpack/my-data.json", views.export_data, name="export_data"),
    path("backpack/delete-account/", views.delete_account, name="delete_account"),
    path("backpack/collections/", views.collections, name="collections"),
    path("backpack/collections/<uuid:public_id>/", views.collection_edit, name="collection"),
    path("backpack/collections/<uuid:public_id>/delete/", views.collection_delete, name="collection_delete"),
    path("c/<uuid:public_id>/", views.collection_public, name="collection_public"),
    path("s/<uuid:public_id>/", views.share, name="share"),
    path("s/<uuid:public_id>/image.png", views.share_image, name="share_image"),
]
