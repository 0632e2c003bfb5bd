from django.contrib import admin

from apps.businesses.models import (
    Business,
    Closure,
    Membership,
    OpeningHours,
    VapiPhoneNumber,
)


class VapiPhoneNumberInline(admin.TabularInline):
    model = VapiPhoneNumber
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "phone", "is_active")
    list_filter = ("is_active", "timezone")
    search_fields = ("name", "slug", "phone")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (
        VapiPhoneNumberInline,
        OpeningHoursInline,
        ClosureInline,
        MembershipInline,
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "is_active")}),
        ("Contact", {"fields": ("address", "phone", "website", "transfer_number")}),
        ("Staff alerts", {"fields": ("notification_emails", "notification_phones")}),
        ("Roxy", {"fields": ("greeting", "extra_instructions", "faq", "policies")}),
        ("Data", {"fields": ("data_retention_days",)}),
    )


@admin.register(VapiPhoneNumber)
class VapiPhoneNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "vapi_phone_number_id", "business", "label")
    list_select_related = ("business",)
    search_fields = ("number", "vapi_phone_number_id", "business__name")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "business", "role")
    list_filter = ("role", "business")
    list_select_related = ("user", "business")
    raw_id_fields = ("user",)
