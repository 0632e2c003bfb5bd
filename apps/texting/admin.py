"""Conversations with customers by text: every text in and out with its delivery
state, a reply box that sends through the outbox, and the texts' raw inbox."""

import datetime as dt
import uuid

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.notifications.admin import consent_summary
from apps.notifications.models import Notification
from apps.texting import flow, outbound
from apps.texting.models import Conversation, InboundText

STAFF_TEXT_KIND = "staff_text"
TIMELINE_LENGTH = 50
# A customer who texted within this long gets a staff reply at once, quiet hours or not.
JUST_TEXTED = dt.timedelta(hours=1)
WHY_NOT = {
    "no_provider": "No SMS provider is configured, so texts are not sent.",
    "landline": "That number is a landline: it can't take texts.",
    "opted_out": "This number opted out of texts (STOP). Nothing was sent.",
    "invalid": "That number can't take texts.",
}


class ConversationForm(forms.ModelForm):
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=600,
        help_text="Sent as a text from the business, through the same outbox.",
    )

    class Meta:
        model = Conversation
        fields = ("needs_attention",)


@admin.register(Conversation)
class ConversationAdmin(TenantScopedAdmin):
    form = ConversationForm
    list_display = ("__str__", "business", "needs_attention", "last_inbound_at")
    list_filter = ("needs_attention", "business")
    search_fields = ("phone", "lead__name")
    list_select_related = ("business", "lead")
    readonly_fields = (
        "phone",
        "lead_link",
        "consent_state",
        "attention_reason",
        "texts",
    )
    fields = (
        "phone",
        "lead_link",
        "consent_state",
        "needs_attention",
        "attention_reason",
        "texts",
        "reply",
    )

    def has_add_permission(self, request):
        return False  # a conversation starts with a customer's text

    @admin.display(description="Lead")
    def lead_link(self, obj):
        if obj.lead_id is None:
            return "—"
        url = reverse("admin:leads_lead_change", args=[obj.lead_id])
        return format_html('<a href="{}">{}</a>', url, obj.lead)

    @admin.display(description="Texts consent")
    def consent_state(self, obj):
        return consent_summary(obj.business, obj.phone)

    @admin.display(description="Texts")
    def texts(self, obj):
        rows = timeline(obj)
        if not rows:
            return "—"
        tz = obj.business.tzinfo
        return format_html(
            '<table class="vh-texts"><tbody>{}</tbody></table>',
            format_html_join(
                "",
                '<tr class="vh-text-{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
                (
                    (
                        direction,
                        f"{when.astimezone(tz):%b %d %H:%M}",
                        "Customer" if direction == "in" else "Us",
                        body,
                        state,
                    )
                    for when, direction, body, state in rows
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        reply = form.cleaned_data.get("reply", "").strip()
        if not reply:
            super().save_model(request, obj, form, change)
            return
        result = send_staff_reply(obj, reply)
        if result.sent:
            obj.needs_attention = False
            obj.attention_reason = ""
            self.message_user(request, "Reply queued.")
        else:
            self.message_user(request, WHY_NOT[result.reason], messages.ERROR)
        super().save_model(request, obj, form, change)


def send_staff_reply(conversation: Conversation, body: str) -> outbound.TextResult:
    """Queue staff's reply; quiet hours apply unless the customer just texted."""
    now = timezone.now()
    just_texted = (
        conversation.last_inbound_at is not None
        and now - conversation.last_inbound_at < JUST_TEXTED
    )
    result = outbound.send_text(
        conversation.business,
        conversation.phone,
        body,
        kind=STAFF_TEXT_KIND,
        dedupe_key=f"{STAFF_TEXT_KIND}:{conversation.pk}:{uuid.uuid4().hex}",
        respect_quiet_hours=not just_texted,
    )
    if result.sent:
        flow.resolve(conversation)
    return result


def timeline(conversation: Conversation) -> list[tuple]:
    """The latest texts both ways, oldest first: (when, "in"/"out", body, state)."""
    inbound = [
        (text.received_at, "in", text.body or "(empty)", text.get_intent_display())
        for text in conversation.inbound_texts.order_by("-received_at")[
            :TIMELINE_LENGTH
        ]
    ]
    sent = Notification.objects.filter(
        business=conversation.business,
        channel=Notification.Channel.SMS,
        recipient=conversation.phone,
    ).order_by("-created_at")[:TIMELINE_LENGTH]
    outbound_rows = [
        (
            n.created_at,
            "out",
            n.body,
            n.get_status_display()
            + (f" ({n.last_error})" if n.last_error and n.status != "sent" else ""),
        )
        for n in sent
    ]
    return sorted(inbound + outbound_rows, key=lambda row: row[0])[-TIMELINE_LENGTH:]


@admin.register(InboundText)
class InboundTextAdmin(TenantScopedAdmin):
    list_display = (
        "received_at",
        "business",
        "from_number",
        "body",
        "intent",
        "outcome",
    )
    list_filter = ("intent", "business")
    search_fields = ("from_number", "body", "message_sid")
    list_select_related = ("business",)
    readonly_fields = (
        "message_sid",
        "business",
        "conversation",
        "from_number",
        "to_number",
        "body",
        "received_at",
        "intent",
        "outcome",
        "handled_at",
    )
    exclude = ("payload",)

    def has_add_permission(self, request):
        return False  # created by Twilio's webhook only

    def has_change_permission(self, request, obj=None):
        return False
