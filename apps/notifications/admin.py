from django.contrib import admin

from apps.businesses.tenancy import access_for
from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.notifications import delivery
from apps.notifications.models import CREDENTIAL_KINDS, Notification


@admin.register(Notification)
class NotificationAdmin(TenantScopedAdmin):
    list_display = (
        "created_at",
        "business",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "send_after",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind", "business")
    search_fields = ("recipient", "subject", "dedupe_key", "provider_message_id")
    date_hierarchy = "created_at"
    list_select_related = ("business",)
    raw_id_fields = ("lead", "appointment", "call")
    readonly_fields = (
        "dedupe_key",
        "status",
        "attempts",
        "claimed_at",
        "enqueued_at",
        "sent_at",
        "provider_message_id",
        "last_error",
        "created_at",
        "updated_at",
    )
    actions = ("resend_notifications",)

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).defer("body", "html_body", "attachments")
        )
        if not access_for(request.user).is_operator:
            # A set-password link would let whoever reads it become the recipient.
            queryset = queryset.exclude(kind__in=CREDENTIAL_KINDS)
        return queryset

    def has_add_permission(self, request):
        return False  # notifications are created by services only

    @admin.action(description="Resend (queue again)")
    def resend_notifications(self, request, queryset):
        count = delivery.requeue_notifications(queryset)
        self.message_user(request, f"Queued {count} notification(s) again.")
