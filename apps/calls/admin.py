from django.contrib import admin

from apps.businesses.tenancy import TenantScopedAdmin
from apps.calls.models import Call, ToolInvocation, WebhookEvent

VAPI_FIELDS = (
    "vapi_call_id",
    "type",
    "status",
    "caller_number",
    "started_at",
    "ended_at",
    "duration_seconds",
    "ended_reason",
    "has_hang",
    "transcript",
    "messages",
    "recording_url",
    "stereo_recording_url",
    "cost",
    "cost_breakdown",
    "vapi_summary",
    "vapi_structured_data",
    "vapi_success_evaluation",
)


@admin.register(Call)
class CallAdmin(TenantScopedAdmin):
    list_display = (
        "created_at",
        "caller_number",
        "lead",
        "duration_seconds",
        "ended_reason",
        "intent",
        "sentiment",
        "cost",
        "analysis_status",
        "business",
    )
    list_filter = (
        "status",
        "analysis_status",
        "intent",
        "sentiment",
        "has_hang",
        "business",
    )
    list_select_related = ("lead", "business")
    search_fields = ("vapi_call_id", "caller_number", "lead__name")
    date_hierarchy = "created_at"
    raw_id_fields = ("lead",)
    readonly_fields = VAPI_FIELDS

    def has_add_permission(self, request):
        return False  # calls are created by the VAPI webhook only


@admin.register(WebhookEvent)
class WebhookEventAdmin(TenantScopedAdmin):
    tenant_path = "call__business"
    list_display = ("received_at", "type", "vapi_call_id", "status")
    list_filter = ("status", "type")
    search_fields = ("vapi_call_id", "dedupe_key")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ToolInvocation)
class ToolInvocationAdmin(TenantScopedAdmin):
    list_display = ("created_at", "name", "call", "duration_ms", "succeeded")
    list_filter = ("name",)
    list_select_related = ("call",)
    search_fields = ("tool_call_id", "call__vapi_call_id")
    readonly_fields = [f.name for f in ToolInvocation._meta.fields]

    def has_add_permission(self, request):
        return False
