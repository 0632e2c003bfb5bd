from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.businesses.tenancy import access_for
from apps.businesses.tenant_admin import TenantScopedAdmin, TenantTabularInline
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.notifications import consent, delivery
from apps.notifications.models import (
    CREDENTIAL_KINDS,
    Notification,
    SmsConsent,
    SmsConsentChange,
)


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


class SmsConsentForm(forms.ModelForm):
    reason = forms.CharField(
        max_length=300,
        help_text="Why the consent changes, e.g. 'Asked by phone to stop texts'. "
        "Kept in the history below.",
    )

    class Meta:
        model = SmsConsent
        fields = ("business", "phone", "status")

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc


class SmsConsentChangeInline(TenantTabularInline):
    model = SmsConsentChange
    fields = ("changed_at", "status", "source", "reason", "changed_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # history is written by consent.set_consent only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SmsConsent)
class SmsConsentAdmin(TenantScopedAdmin):
    """A number's texts consent; changing it needs a reason and leaves history."""

    form = SmsConsentForm
    list_display = ("phone", "business", "status", "changed_at")
    list_filter = ("status", "business")
    search_fields = ("phone",)
    list_select_related = ("business",)
    inlines = (SmsConsentChangeInline,)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "phone") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        # Through the service, so the change has its history row and an opt-out
        # withdraws the texts already waiting.
        saved = consent.set_consent(
            obj.business,
            obj.phone,
            status=obj.status,
            source=SmsConsentChange.Source.STAFF,
            reason=form.cleaned_data["reason"],
            changed_by=request.user,
        )
        obj.pk, obj.changed_at = saved.pk, saved.changed_at
        obj._state.adding = False


def consent_summary(business, phone: str):
    """A number's texts consent for a page (the lead's, a conversation's), with the
    link to change it (with a reason) or to record an opt-out staff were told of."""
    if not phone:
        return "—"
    record = consent.consent_for(business.pk, phone)
    if record is None:
        add = reverse("admin:notifications_smsconsent_add")
        query = urlencode(
            {"business": business.pk, "phone": phone, "status": "opted_out"}
        )
        return format_html(
            'Takes texts (never opted out). <a href="{}?{}">Record an opt-out</a>',
            add,
            query,
        )
    url = reverse("admin:notifications_smsconsent_change", args=[record.pk])
    change = record.changes.first()
    why = f" ({change.get_source_display()}: {change.reason})" if change else ""
    return format_html(
        '{} since {}{}. <a href="{}">Change, with a reason</a>',
        record.get_status_display(),
        f"{record.changed_at.astimezone(business.tzinfo):%Y-%m-%d %H:%M}",
        why,
        url,
    )
