from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.calls import post_call
from apps.calls.models import Call, ToolInvocation
from apps.calls.transcripts import conversation_turns
from apps.core.links import is_web_url
from apps.core.phones import format_phone
from apps.privacy import vapi_deletion

# What VAPI reported is the record of the call: staff read it, never edit it.
VAPI_FIELDS = (
    "vapi_call_id",
    "business",
    "type",
    "status",
    "caller",
    "started_at",
    "ended_at",
    "duration_seconds",
    "ended_reason",
    "has_hang",
    "cost",
    "cost_breakdown",
)
HEAVY_FIELDS = (
    "transcript",
    "messages",
    "cost_breakdown",
    "vapi_structured_data",
    "analysis",
    "analysis_usage",
)
# Why a call's transcript and recordings are gone, as staff read it on the call.
PURGE_NOTICES = {
    Call.PurgeReason.RETENTION: "Purged on {date} under the business's retention policy.",
    Call.PurgeReason.ERASURE: "Erased on {date} at the caller's request.",
}


class PurgedFilter(admin.SimpleListFilter):
    title = "purged"
    parameter_name = "purged"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(purged_at__isnull=self.value() == "no")
        return queryset


@admin.register(Call)
class CallAdmin(TenantScopedAdmin):
    list_display = (
        "created_at",
        "caller",
        "lead_link",
        "duration_seconds",
        "ended_reason",
        "intent",
        "sentiment",
        "cost",
        "analysis_status",
    )
    list_filter = (
        "analysis_status",
        "intent",
        "sentiment",
        "has_hang",
        PurgedFilter,
        "status",
        "business",
    )
    list_select_related = ("lead",)
    search_fields = ("vapi_call_id", "caller_number", "lead__name")
    date_hierarchy = "created_at"
    raw_id_fields = ("lead",)
    readonly_fields = (
        *VAPI_FIELDS,
        "conversation",
        "recording",
        "purge_notice",
        "vapi_copy",
        "purged_at",
        "purge_reason",
        "vapi_deleted_at",
        "analysis_comparison",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("caller", "lead"),
                    ("started_at", "ended_at", "duration_seconds"),
                )
            },
        ),
        ("Conversation", {"fields": ("recording", "conversation")}),
        ("Analysis", {"fields": ("analysis_comparison",)}),
        (
            "Call details",
            {
                "classes": ("collapse",),
                "fields": (
                    "vapi_call_id",
                    "business",
                    "type",
                    "status",
                    "ended_reason",
                    "has_hang",
                    "cost",
                    "cost_breakdown",
                    ("purged_at", "purge_reason"),
                    "vapi_deleted_at",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*HEAVY_FIELDS)

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.purged_at is None:
            return self.fieldsets
        # Nothing is left to play or read: say why instead of an empty transcript,
        # and whether VAPI's own copy is gone too.
        notices = ("purge_notice",)
        if obj.vapi_deleted_at or vapi_deletion.is_awaiting_vapi_deletion(obj):
            notices += ("vapi_copy",)
        return [
            ("Conversation", {"fields": notices})
            if name == "Conversation"
            else (name, options)
            for name, options in self.fieldsets
        ]

    def get_object(self, request, object_id, from_field=None):
        # The detail page shows the heavy fields the changelist defers.
        queryset = Call.objects.select_related("lead", "business")
        obj = super().get_object(request, object_id, from_field)
        return queryset.get(pk=obj.pk)

    actions = ("rerun_analysis",)

    def has_add_permission(self, request):
        return False  # calls are created by the VAPI webhook only

    @admin.action(description="Re-run AI analysis")
    def rerun_analysis(self, request, queryset):
        queued = post_call.request_reanalysis(queryset)
        self.message_user(request, f"Queued {queued} call(s) for analysis.")

    @admin.display(description="Caller", ordering="caller_number")
    def caller(self, call):
        return format_phone(call.caller_number) if call.caller_number else "Unknown"

    @admin.display(description="Lead", ordering="lead__name")
    def lead_link(self, call):
        if call.lead is None:
            return "—"
        url = reverse("admin:leads_lead_change", args=[call.lead_id])
        return format_html('<a href="{}">{}</a>', url, call.lead)

    @admin.display(description="Conversation")
    def conversation(self, call):
        turns = conversation_turns(call.messages, call.transcript)
        return render_to_string("admin/calls/conversation.html", {"turns": turns})

    @admin.display(description="Recording")
    def recording(self, call):
        # Checked again where it becomes a link: rows stored before the webhook
        # checked schemes, or written by hand, may hold a javascript: URL.
        if not is_web_url(call.recording_url):
            return "No recording."
        return format_html(
            '<audio controls preload="none" src="{}"></audio> <a href="{}">Download</a>',
            call.recording_url,
            call.recording_url,
        )

    @admin.display(description="Transcript and recording")
    def purge_notice(self, call):
        when = date_format(timezone.localtime(call.purged_at), "DATE_FORMAT")
        notice = PURGE_NOTICES.get(call.purge_reason, "Purged on {date}.")
        return notice.format(date=when)

    @admin.display(description="VAPI's copy")
    def vapi_copy(self, call):
        if call.vapi_deleted_at:
            when = date_format(timezone.localtime(call.vapi_deleted_at), "DATE_FORMAT")
            return f"Deleted at VAPI on {when}."
        if not vapi_deletion.is_configured():
            return "Waiting to be deleted at VAPI: VAPI_API_KEY is not set."
        return "Waiting to be deleted at VAPI."

    @admin.display(description="Ours and VAPI's")
    def analysis_comparison(self, call):
        return render_to_string("admin/calls/analysis.html", {"call": call})


@admin.register(ToolInvocation)
class ToolInvocationAdmin(TenantScopedAdmin):
    list_display = ("created_at", "name", "call", "duration_ms", "succeeded")
    list_filter = ("name",)
    list_select_related = ("call",)
    search_fields = ("tool_call_id", "call__vapi_call_id")
    readonly_fields = [f.name for f in ToolInvocation._meta.fields]

    def has_add_permission(self, request):
        return False
