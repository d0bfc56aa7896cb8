from django.urls import path

from wallets import views

app_name = "wallets"

# The credential issuer's endpoints (OpenID4VCI 1.0); the two metadata documents are at the site's
# root, where the specs put them (badgeplatform/urls.py).
urlpatterns = [
    path("wallet/offers/<str:link>", views.offer, name="offer"),
    path("wallet/token", views.token, name="token"),
    path("wallet/nonce", views.nonce, name="nonce"),
    path("wallet/credential", views.credential, name="credential"),
    path("wallet/add/<str:token>/", views.add_from_email, name="add"),
]
