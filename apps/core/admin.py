"""Operators' view of provider health: read-only, written by the worker."""

from django.contrib import admin

from apps.core.models import ProviderHealth


@admin.register(ProviderHealth)
class ProviderHealthAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "state",
        "failures",
        "down_since",
        "next_probe_at",
        "last_success_at",
        "last_failure_at",
    )
    list_filter = ("state",)
    search_fields = ("provider",)
    readonly_fields = [field.name for field in ProviderHealth._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # rows are the worker's: one per provider it has called

    def has_change_permission(self, request, obj=None) -> bool:
        return False
