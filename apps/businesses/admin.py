import json

from django.contrib import admin
from django.db import models
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from apps.businesses import services as business_services
from apps.businesses.models import (
    Business,
    Closure,
    Membership,
    OpeningHours,
    VapiPhoneNumber,
)
from apps.businesses.tenancy import TenantScopedAdmin

# Roxy is built by the calls app, which depends on this one; naming it by path keeps
# the dependency one-way.
ASSISTANT_PREVIEW = "apps.calls.assistant.preview_assistant"


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
        MembershipInline,
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone", "is_active")}),
        ("Contact", {"fields": ("address", "phone", "website", "transfer_number")}),
        ("Staff alerts", {"fields": ("notification_emails", "notification_phones")}),
        ("Roxy", {"fields": ("greeting", "extra_instructions", "faq", "policies")}),
        ("Data", {"fields": ("data_retention_days",)}),
        (
            "What callers hear",
            {
                "classes": ("collapse",),
                "description": "Roxy's assistant exactly as a new caller gets it now.",
                "fields": ("assistant_preview",),
            },
        ),
    )
    readonly_fields = ("assistant_preview",)

    @admin.display(description="Assistant")
    def assistant_preview(self, business):
        if business.pk is None:
            return "Save the business first."
        assistant = import_string(ASSISTANT_PREVIEW)(business)
        return render_to_string(
            "admin/businesses/assistant_preview.html",
            {"assistant": assistant, "assistant_json": json.dumps(assistant, indent=2)},
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:
            touched = formset.new_objects + [m for m, _ in formset.changed_objects]
            for user in {m.user for m in touched + formset.deleted_objects}:
                business_services.sync_staff_access(user)


@admin.register(VapiPhoneNumber)
class VapiPhoneNumberAdmin(TenantScopedAdmin):
    list_display = ("number", "vapi_phone_number_id", "business", "label")
    list_select_related = ("business",)
    search_fields = ("number", "vapi_phone_number_id", "business__name")


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("user", "business", "role")
    list_filter = ("role", "business")
    list_select_related = ("user", "business")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        business_services.sync_staff_access(obj.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        business_services.sync_staff_access(obj.user)

    def delete_queryset(self, request, queryset):
        users = {membership.user for membership in queryset.select_related("user")}
        super().delete_queryset(request, queryset)
        for user in users:
            business_services.sync_staff_access(user)
