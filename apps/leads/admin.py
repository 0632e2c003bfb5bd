from django.contrib import admin

from apps.leads import services as lead_services
from apps.leads.models import CallbackRequest, Lead


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


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "name",
        "callback_number",
        "urgency",
        "status",
        "business",
        "lead",
    )
    list_filter = ("status", "urgency", "business")
    list_select_related = ("business", "lead")
    search_fields = ("name", "callback_number", "message")
    date_hierarchy = "created_at"
    raw_id_fields = ("lead", "call")
    readonly_fields = ("call", "created_at", "resolved_at")
    actions = ("resolve_callback_requests",)

    @admin.action(description="Mark as done")
    def resolve_callback_requests(self, request, queryset):
        done = sum(
            lead_services.resolve_callback_request(callback)
            for callback in queryset.open()
        )
        self.message_user(request, f"Marked {done} callback request(s) done.")
