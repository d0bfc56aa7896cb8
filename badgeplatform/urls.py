from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from accounts.views import admin_login
from badgeplatform import health
from issuers import api as issuers_api
from issuers import views as issuers_views
from sso import views as sso_views
from verification import api as verification_api
from verification import views as verification_views
from wallets import views as wallets_views

# The admin has no login of its own: it uses the site's (same rate limits, same MFA step).
admin.site.login = admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("", issuers_views.home, name="home"),
    path("tenants/", issuers_views.choose_tenant, name="choose_tenant"),
    path("colleges/<uuid:public_id>/logo", issuers_views.college_logo, name="college_logo"),
    # The login page with domain discovery (sso.views.login), then allauth's own pages.
    path("accounts/login/", sso_views.login, name="account_login"),
    path("accounts/saml/<str:organization_slug>/acs/finish/", sso_views.saml_finish, name="saml_finish_acs"),
    path("accounts/", include("badgeplatform.allauth_urls")),  # allauth.urls, SAML imported when used
    path("invitations/<str:token>/", issuers_views.invitation_accept, name="invitation_accept"),
    path("", include("console.urls")),
    # The tutor's pages; assertions.urls first: its dashboard is the tenant's landing page.
    path("t/<slug:tenant_slug>/", include("assertions.urls")),
    path("t/<slug:tenant_slug>/", include("badges.urls")),
    path("t/<slug:tenant_slug>/", include("issuers.urls")),
    path("", include("endorsements.urls")),
    path("", include("insights.urls")),
    path("", include("pathways.urls")),
    path("", include("webhooks.urls")),
    path("", include("lti.urls")),
    path("", include("credentials.urls")),
    path("", include("sso.urls")),
    path("verify/", verification_views.verify_page, name="verify"),
    path("api/v1/verify/", verification_api.verify_api, name="api_verify"),
    path("api/v1/tenant/", issuers_api.tenant_detail, name="api_tenant"),
    path("api/v1/", include("badgeplatform.api_urls")),
    path("public/", include("verification.urls")),
    # The Open Badges 3.0 API for learners' other platforms, its OAuth 2.0 server and Connected platforms.
    path("", include("obapi.api_urls")),
    path("ims/ob/v3p0/oauth/", include("obapi.oauth_urls")),
    path("", include("obapi.urls")),
    # Learners: /claim/<token>/, /backpack/..., share pages /s/<id>/ and collection pages /c/<id>/.
    path("", include("backpack.urls")),
    # OpenID4VCI: the credential issuer's and its authorization server's metadata, where wallets look.
    path(".well-known/openid-credential-issuer", wallets_views.credential_issuer_metadata,
         name="openid_credential_issuer"),
    path(".well-known/oauth-authorization-server", wallets_views.authorization_server_metadata,
         name="oauth_authorization_server"),
    path("", include("wallets.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
