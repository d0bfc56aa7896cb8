from django.contrib import admin

from badges.models import BadgeClass


@admin.register(BadgeClass)
class BadgeClassAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "tenant", "image_type", "retired_at"]
    list_filter = ["tenant"]
    search_fields = ["name"]
    readonly_fields = ["public_id"]
