"""The raw inbox of VAPI messages, for staff to read and to replay what failed."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.calls.models import WebhookEvent
from apps.vapi import replay


@admin.register(WebhookEvent)
class WebhookEventAdmin(TenantScopedAdmin):
    list_display = ("received_at", "type", "vapi_call_id", "status", "short_error")
    list_filter = ("status", "type")
    search_fields = ("vapi_call_id", "dedupe_key")
    date_hierarchy = "received_at"
    fields = (
        ("type", "status"),
        ("vapi_call_id", "call"),
        ("received_at", "processed_at"),
        "error",
        "pretty_payload",
        "pretty_response",
    )
    readonly_fields = fields[3:] + tuple(f.name for f in WebhookEvent._meta.fields)
    actions = ("replay_events",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("payload", "response")

    def has_add_permission(self, request):
        return False

    @admin.display(description="Error")
    def short_error(self, event):
        return event.error[:80]

    @admin.display(description="Payload")
    def pretty_payload(self, event):
        return _pretty_json(event.payload)

    @admin.display(description="Our answer")
    def pretty_response(self, event):
        return _pretty_json(event.response)

    @admin.action(description="Replay failed or unfinished events")
    def replay_events(self, request, queryset):
        report = replay.replay_webhook_events(queryset)
        self.message_user(
            request,
            f"Replayed {report.replayed}, still failing {report.failed}, "
            f"skipped {report.skipped} already processed.",
            level=messages.WARNING if report.failed else messages.SUCCESS,
        )


def _pretty_json(value) -> str:
    if value is None:
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))
