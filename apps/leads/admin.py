from django.contrib import admin

from apps.leads.models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "phone",
        "email",
        "status",
        "score",
        "source",
        "business",
        "created_at",
    )
    list_filter = ("status", "source", "business")
    list_select_related = ("business",)
    search_fields = ("name", "email", "phone")
    date_hierarchy = "created_at"
