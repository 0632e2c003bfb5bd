from django.contrib import admin

from apps.appointments.models import (
    Appointment,
    Provider,
    ProviderHours,
    Service,
    TimeOff,
)
from apps.businesses.tenancy import TenantScopedAdmin


@admin.register(Service)
class ServiceAdmin(TenantScopedAdmin):
    list_display = (
        "name",
        "business",
        "duration_minutes",
        "price",
        "buffer_minutes",
        "is_active",
    )
    list_filter = ("is_active", "business")
    list_select_related = ("business",)
    search_fields = ("name",)


class ProviderHoursInline(admin.TabularInline):
    model = ProviderHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Provider)
class ProviderAdmin(TenantScopedAdmin):
    list_display = ("name", "business", "is_active")
    list_filter = ("is_active", "business")
    list_select_related = ("business",)
    search_fields = ("name",)
    filter_horizontal = ("services",)
    inlines = (ProviderHoursInline, TimeOffInline)


@admin.register(Appointment)
class AppointmentAdmin(TenantScopedAdmin):
    list_display = (
        "start_at",
        "end_at",
        "service",
        "provider",
        "lead",
        "status",
        "business",
    )
    list_filter = ("status", "business", "provider", "service")
    list_select_related = ("service", "provider", "lead", "business")
    search_fields = ("lead__name", "lead__phone", "notes")
    date_hierarchy = "start_at"
    raw_id_fields = ("lead", "source_call")
    readonly_fields = (
        "blocked_until",
        "reminder_sent_at",
        "cancelled_at",
        "created_at",
    )
