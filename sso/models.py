"""A college's single sign-on for its staff (README "Staff single sign-on"): one identity provider per
college, OpenID Connect or SAML 2.0, the email domains it owns, and how sign-ins become memberships."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from issuers.models import Role, Tenant
from issuers.scoping import TenantScopedManager


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect (Microsoft Entra ID, Google Workspace, Okta...)"
    SAML = "saml", "SAML 2.0"


class SingleSignOn(models.Model):
    """What allauth needs to send a college's staff to its identity provider, built into a ``SocialApp`` per
    request by ``sso.adapter`` (never stored as one: allauth keeps client secrets in plain text). ``key``
    names the provider in allauth's URLs (``/accounts/oidc/<key>/login/callback/``, ``/accounts/saml/<key>/``).
    The OIDC client secret and the SAML service provider's private key are encrypted like signing keys."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.SlugField(max_length=40, unique=True)
    protocol = models.CharField(max_length=10, choices=Protocol.choices)
    # OpenID Connect
    oidc_issuer = models.URLField("issuer URL", max_length=500, blank=True)
    oidc_client_id = models.CharField("client id", max_length=200, blank=True)
    oidc_secret_encrypted = models.BinaryField(null=True, blank=True)
    # SAML 2.0: the identity provider's metadata as fetched (or pasted), and our own key pair for signing requests
    saml_metadata_url = models.URLField("metadata URL", max_length=500, blank=True)
    saml_metadata_xml = models.TextField("metadata XML", blank=True)
    saml_idp_entity_id = models.CharField(max_length=500, blank=True)
    saml_sp_certificate = models.TextField(blank=True)
    saml_sp_private_key_encrypted = models.BinaryField(null=True, blank=True)
    # Who signs in and what they become
    require_sso = models.BooleanField("require single sign-on for our staff", default=False)
    create_members = models.BooleanField("create memberships on first sign-in", default=False)
    default_role = models.CharField(max_length=20, choices=Role.choices, blank=True)  # blank: only mapped groups
    group_claim = models.CharField(max_length=200, default="groups")
    group_roles = models.JSONField(default=list, blank=True)  # [[group, role], ...]
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()
    ENCRYPTED_FIELDS = ("oidc_secret_encrypted", "saml_sp_private_key_encrypted")  # issuers.keys.ENCRYPTED_KEY_MODELS

    def __str__(self) -> str:
        return f"{self.get_protocol_display()} for {self.tenant_id}"

    @property
    def audit_label(self) -> str:
        return "single sign-on"


class EmailDomain(models.Model):
    """An email domain a college says it owns. It does nothing (no discovery, no sign-in through the college's
    identity provider for addresses there, no "SSO required") until the platform has approved the claim in the
    console, so a college admin cannot claim another organisation's domain and sign its people in. An approved
    domain belongs to one college at most (the conditional unique constraint); claims waiting may compete."""

    class Status(models.TextChoices):
        WAITING = "waiting", "waiting for approval by the platform"
        APPROVED = "approved", "approved"
        REFUSED = "refused", "refused by the platform"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    domain = models.CharField(max_length=253)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    claimed_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "domain"], name="sso_domain_once_per_college"),
            models.UniqueConstraint(fields=["domain"], condition=models.Q(status="approved"),
                                    name="sso_domain_approved_for_one_college"),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def audit_label(self) -> str:
        return f"email domain {self.domain}"
