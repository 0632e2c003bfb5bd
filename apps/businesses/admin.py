from django.contrib import admin
from django.db import models

from apps.businesses.models import (
    Business,
    Closure,
    OpeningHours,
    VapiPhoneNumber,
)
from apps.businesses.tenant_admin import TenantScopedAdmin, TenantTabularInline


class VapiPhoneNumberInline(TenantTabularInline):
    model = VapiPhoneNumber
    extra = 0


class OpeningHoursInline(TenantTabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(TenantTabularInline):
    model = Closure
    extra = 0


@admin.register(Business)
class BusinessAdmin(TenantScopedAdmin):
    list_display = ("name", "slug", "timezone", "phone", "is_active")
    list_filter = ("is_active", "timezone")
    search_fields = ("name", "slug", "phone")
    prepopulated_fields = {"slug": ("name",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = (
        VapiPhoneNumberInline,
        OpeningHoursInline,
        ClosureInline,
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "is_active")}),
        ("Contact", {"fields": ("address", "phone", "website", "transfer_number")}),
        ("Staff alerts", {"fields": ("notification_emails", "notification_phones")}),
        ("Roxy", {"fields": ("greeting", "extra_instructions", "faq", "policies")}),
        ("Data", {"fields": ("data_retention_days",)}),
    )


@admin.register(VapiPhoneNumber)
class VapiPhoneNumberAdmin(TenantScopedAdmin):
    list_display = ("number", "vapi_phone_number_id", "business", "label")
    list_select_related = ("business",)
    search_fields = ("number", "vapi_phone_number_id", "business__name")
