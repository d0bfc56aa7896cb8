from django.urls import path

from verification import credential_views, views

app_name = "public"

# A stable URL contract: these URLs are inside every badge we have issued.
urlpatterns = [
    path("issuers/<uuid:public_id>", views.issuer, name="issuer"),
    path("issuers/<uuid:public_id>/revocations", views.revocations, name="revocations"),
    path("issuers/<uuid:public_id>/image", views.issuer_image, name="issuer_image"),
    path("keys/<uuid:public_id>", views.key, name="key"),
    path("badges/<uuid:public_id>", views.badge, name="badge"),
    path("badges/<uuid:public_id>/image", views.badge_image, name="badge_image"),
    path("assertions/<uuid:public_id>", views.assertion, name="assertion"),
    path("assertions/<uuid:public_id>/image", views.assertion_image, name="assertion_image"),
    path("endorsements/<uuid:public_id>", views.endorsement, name="endorsement"),
    path("endorsers/<uuid:public_id>", views.endorser, name="endorser"),
    path("endorsers/<uuid:public_id>/image", views.endorser_image, name="endorser_image"),
    # Open Badges 3.0 (did:web resolves an issuer's DID to .../issuers/<id>/did.json)
    path("credentials/<uuid:public_id>", credential_views.credential, name="credential"),
    path("credentials/<uuid:public_id>/jwt", credential_views.credential_jwt, name="credential_jwt"),
    path("credentials/<uuid:public_id>/image", credential_views.credential_image, name="credential_image"),
    path("issuers/<uuid:public_id>/did.json", credential_views.did_document, name="issuer_did"),
    path("endorsers/<uuid:public_id>/did.json", credential_views.endorser_did_document, name="endorser_did"),
    path("issuers/<uuid:public_id>/status/<int:number>", credential_views.status_list, name="status_list"),
    path("issuers/<uuid:public_id>/credential-revocations", credential_views.revocation_list,
         name="credential_revocations"),
]
