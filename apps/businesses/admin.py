import zoneinfo
from functools import cache

from django import forms
from django.contrib import admin
from django.db import models

from apps.businesses.models import (
    Business,
    Closure,
    OpeningHours,
    TransferDestination,
    TransferHours,
    VapiPhoneNumber,
)
from apps.businesses.tenant_admin import TenantScopedAdmin, TenantTabularInline

# Offered first: where VoiceHive's businesses mostly are (PHONE_DEFAULT_REGION is US).
COMMON_TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
)


@cache
def timezone_choices() -> list:
    """Every IANA zone the model accepts, the common ones first."""
    every = sorted(zoneinfo.available_timezones())
    common = [name for name in COMMON_TIMEZONES if name in every]
    return [
        ("Common", [(name, _label(name)) for name in common]),
        ("All time zones", [(name, _label(name)) for name in every]),
    ]


def _label(name: str) -> str:
    return name.replace("_", " ")


class BusinessForm(forms.ModelForm):
    # A list, not free text: a typo is a business whose every time is wrong. The
    # choices are the ones `validate_timezone` accepts, so stored values stay valid,
    # and they live in the form, so no migration freezes them into the model.
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        initial=Business._meta.get_field("timezone").default,
        help_text="Roxy, staff pages and messages read every time in this zone.",
    )

    class Meta:
        model = Business
        fields = ("timezone",)  # the admin's fieldsets add the rest


class VapiPhoneNumberInline(TenantTabularInline):
    model = VapiPhoneNumber
    extra = 0


class OpeningHoursInline(TenantTabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(TenantTabularInline):
    model = Closure
    extra = 0


class TransferDestinationInline(TenantTabularInline):
    model = TransferDestination
    extra = 0
    fields = ("name", "number", "purpose", "hours", "mode", "position", "is_active")
    show_change_link = True  # its own hours and the warm-transfer briefing


@admin.register(Business)
class BusinessAdmin(TenantScopedAdmin):
    form = BusinessForm
    list_display = ("name", "slug", "timezone", "phone", "is_active")
    list_filter = ("is_active", "timezone")
    search_fields = ("name", "slug", "phone")
    prepopulated_fields = {"slug": ("name",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = (
        VapiPhoneNumberInline,
        OpeningHoursInline,
        ClosureInline,
        TransferDestinationInline,
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "is_active")}),
        ("Contact", {"fields": ("address", "phone", "website", "transfer_number")}),
        ("Staff alerts", {"fields": ("notification_emails", "notification_phones")}),
        ("Roxy", {"fields": ("greeting", "extra_instructions", "faq", "policies")}),
        (
            "Languages, voice and persona",
            {
                "description": "Blank voice fields use the deployment's voice "
                "(ROXY_VOICE_*). The assistant preview below shows the result.",
                "fields": (
                    "languages",
                    "default_language",
                    "assistant_name",
                    ("voice_provider", "voice_id", "voice_model"),
                ),
            },
        ),
        (
            "When closed, and recording",
            {
                "fields": (
                    "after_hours_mode",
                    "on_call_number",
                    "recording_consent_required",
                    "recording_consent_notice",
                )
            },
        ),
        (
            "Booking rules",
            {
                "description": "Roxy, the booking page, reminders and texts all "
                "follow these.",
                "fields": (
                    "slot_minutes",
                    "min_notice_minutes",
                    "booking_horizon_days",
                    "default_buffer_minutes",
                    "slots_offered",
                    "reminder_lead_hours",
                    ("quiet_hours_start", "quiet_hours_end"),
                ),
            },
        ),
        ("Data", {"fields": ("data_retention_days",)}),
    )


@admin.register(VapiPhoneNumber)
class VapiPhoneNumberAdmin(TenantScopedAdmin):
    list_display = ("number", "vapi_phone_number_id", "business", "label")
    list_select_related = ("business",)
    search_fields = ("number", "vapi_phone_number_id", "business__name")


class TransferHoursInline(TenantTabularInline):
    model = TransferHours
    extra = 0


@admin.register(TransferDestination)
class TransferDestinationAdmin(TenantScopedAdmin):
    list_display = ("name", "business", "number", "hours", "mode", "is_active")
    list_filter = ("hours", "mode", "is_active")
    list_select_related = ("business",)
    search_fields = ("name", "purpose", "number", "business__name")
    inlines = (TransferHoursInline,)
    fields = (
        "business",
        "name",
        "number",
        "purpose",
        "hours",
        "mode",
        "summary_instructions",
        "position",
        "is_active",
    )
