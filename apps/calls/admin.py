from functools import cached_property

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from apps.businesses import roles
from apps.businesses.tenancy import scope_to_user
from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.calls import analysis, post_call, recordings, search
from apps.calls.models import Call, ToolInvocation
from apps.calls.transcripts import conversation_turns
from apps.core.links import is_web_url
from apps.core.phones import phone_link
from apps.leads.models import Lead
from apps.notifications import consent
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
    "cost_table",
    "language",
    "transfer_status",
    "transfer_destination",
    "transfer_updated_at",
    "recording_declined_at",
)
HEAVY_FIELDS = (
    "transcript",
    "messages",
    "cost_breakdown",
    "vapi_structured_data",
    "analysis",
    "analysis_usage",
)
# A summary in the list is cut here; the whole of it shows on hover.
SUMMARY_CHARS = 90
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


class SearchPaginator(Paginator):
    """Counts a search's matches up to `cap`: an exact count of a common word reads
    every match (about 1 s for one said on all of 100,000 calls), the page never."""

    cap = 1000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


class VocabularyFilter(admin.SimpleListFilter):
    """A filter offering a fixed vocabulary: Django's default lists the values found,
    a DISTINCT over every call (about 0.2 s at 100,000 calls)."""

    field = ""
    values: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(value, value.capitalize()) for value in self.values]

    def queryset(self, request, queryset):
        if self.value() in self.values:
            return queryset.filter(**{self.field: self.value()})
        return queryset


class IntentFilter(VocabularyFilter):
    title = field = "intent"
    parameter_name = "intent__exact"
    values = tuple(analysis.INTENTS)


class SentimentFilter(VocabularyFilter):
    title = field = "sentiment"
    parameter_name = "sentiment__exact"
    values = analysis.SENTIMENTS


@admin.register(Call)
class CallAdmin(TenantScopedAdmin):
    list_display = ("when", "caller", "short_summary", "length", "outcome", "usd")
    list_filter = (
        ("created_at", admin.DateFieldListFilter),
        "analysis_status",
        IntentFilter,
        SentimentFilter,
        "has_hang",
        PurgedFilter,
        "status",
        "business",
    )
    # The caller's name and the title's time zone (the action checkbox is labelled
    # with each row's title).
    list_select_related = ("lead", "business")
    business_times = {"when": "created_at"}
    # What search.search_calls looks at; Django only reads this to show the box.
    search_fields = ("lead__name", "caller_number", "vapi_call_id", "transcript")
    search_help_text = (
        "A caller's name, a phone number or part of one, words said on the call, "
        "or a VAPI call id."
    )
    show_full_result_count = False  # the page's own count is enough
    list_per_page = 50
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
                    "language",  # the last one Roxy spoke (issue #16)
                    # Where Roxy put the caller through and how it went (issue #16).
                    ("transfer_status", "transfer_destination", "transfer_updated_at"),
                    "recording_declined_at",
                )
            },
        ),
        ("Conversation", {"fields": ("recording", "conversation")}),
        ("Analysis", {"fields": ("analysis_comparison",)}),
        ("Cost", {"classes": ("collapse",), "fields": ("cost_table",)}),
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
                    ("purged_at", "purge_reason"),
                    "vapi_deleted_at",
                ),
            },
        ),
    )

    class Media:
        css = {"all": ("calls/calls.css",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer(*HEAVY_FIELDS)
            .annotate(
                takes_texts=consent.takes_texts(phone="caller_number", lead="lead")
            )
        )

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

    def get_paginator(self, request, queryset, per_page, *args, **kwargs):
        if request.GET.get(SEARCH_VAR, "").strip():
            return SearchPaginator(queryset, per_page, *args, **kwargs)
        return super().get_paginator(request, queryset, per_page, *args, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        leads = scope_to_user(
            Lead.objects.all(),
            request.user,
            actions=(roles.VIEW, roles.CHANGE),
            label=self.tenant_label,
        )
        return search.search_calls(queryset, search_term, leads=leads), False

    def get_urls(self):
        recording = path(
            "<path:object_id>/recording/",
            self.admin_site.admin_view(self.recording_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_recording",
        )
        return [recording, *super().get_urls()]

    def recording_view(self, request, object_id):
        """The call's recording, relayed from VAPI to staff who may see the call."""
        # Scoped to the user's businesses (404 otherwise), without the heavy fields.
        call = super().get_object(request, object_id)
        if not self.has_view_permission(request, call):
            raise PermissionDenied
        try:
            audio = recordings.open_recording(
                call, range_header=request.headers.get("Range")
            )
        except recordings.RecordingError as exc:
            return HttpResponse(str(exc), status=exc.status, content_type="text/plain")
        return StreamingHttpResponse(
            audio.chunks, status=audio.status, headers=audio.headers
        )

    @admin.action(description="Re-run AI analysis")
    def rerun_analysis(self, request, queryset):
        queued = post_call.request_reanalysis(queryset)
        self.message_user(request, f"Queued {queued} call(s) for analysis.")

    @admin.display(description="When", ordering="created_at")
    def when(self, call):
        return call.created_at

    @admin.display(description="Caller", ordering="caller_number")
    def caller(self, call):
        texting = consent.row_takes_texts(
            call, call.business_id, call.caller_number, call.lead
        )
        number = (
            phone_link(call.caller_number, call.business, texting=texting)
            if call.caller_number
            else "Unknown"
        )
        if call.lead is None or not call.lead.name:
            return number
        url = reverse("admin:leads_lead_change", args=[call.lead_id])
        return format_html(
            '<a href="{}">{}</a><br><span class="vh-quiet">{}</span>',
            url,
            call.lead.name,
            number,
        )

    @admin.display(description="Summary")
    def short_summary(self, call):
        text = call.summary or call.vapi_summary
        if not text:
            return "—"
        return format_html(
            '<span class="vh-summary" title="{}">{}</span>',
            text,
            Truncator(text).chars(SUMMARY_CHARS),
        )

    @admin.display(description="Length", ordering="duration_seconds")
    def length(self, call):
        if call.duration_seconds is None:
            return "—"
        minutes, seconds = divmod(call.duration_seconds, 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(description="Outcome", ordering="intent")
    def outcome(self, call):
        judged = " · ".join(part for part in (call.intent, call.sentiment) if part)
        if judged or call.analysis_status == Call.AnalysisStatus.COMPLETED:
            return judged or "—"
        return call.get_analysis_status_display()  # why there is none yet

    @admin.display(description="Conversation")
    def conversation(self, call):
        turns = conversation_turns(call.messages, call.transcript)
        return render_to_string("admin/calls/conversation.html", {"turns": turns})

    @admin.display(description="Cost", ordering="cost")
    def usd(self, call):
        return "—" if call.cost is None else f"${call.cost:.2f}"

    @admin.display(description="Recording")
    def recording(self, call):
        # Rows stored before the webhook checked schemes, or written by hand, may
        # hold a javascript: URL: no player for those (recordings refuses them too).
        if not is_web_url(call.recording_url):
            return "No recording."
        url = reverse("admin:calls_call_recording", args=[call.pk])
        return format_html(
            '<audio controls preload="none" src="{}"></audio> '
            '<a href="{}" download>Download</a>',
            url,
            url,
        )

    @admin.display(description="Cost")
    def cost_table(self, call):
        return render_to_string("admin/calls/costs.html", {"lines": call.cost_lines()})

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
    list_select_related = ("call__lead", "call__business")  # a call's title
    search_fields = ("tool_call_id", "call__vapi_call_id")
    readonly_fields = [f.name for f in ToolInvocation._meta.fields]

    def has_add_permission(self, request):
        return False
