from django.contrib import admin
from django.db import models

from badges.models import BadgeClass
from issuers.parsers import DepthLimitedJSONDecoder


@admin.register(BadgeClass)
class BadgeClassAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "tenant", "image_type", "retired_at"]
    list_filter = ["tenant"]
    search_fields = ["name"]
    readonly_fields = ["public_id"]
    formfield_overrides = {models.JSONField: {"decoder": DepthLimitedJSONDecoder}}  # alignments, tags
