import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from apps.appointments import bookability, notices
from apps.appointments import services as appointment_services
from apps.appointments.models import (
    Appointment,
    Provider,
    ProviderHours,
    Service,
    TimeOff,
)
from apps.businesses import roles
from apps.businesses.tenancy import access_for
from apps.businesses.tenant_admin import TenantScopedAdmin, TenantTabularInline
from apps.core.phones import phone_link
from apps.notifications import consent


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


class ProviderHoursInline(TenantTabularInline):
    model = ProviderHours
    extra = 0


class TimeOffInline(TenantTabularInline):
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

    def scope_choices(self, request, db_field, queryset):
        # The provider's own login (they may connect their own calendar): a staff
        # member of a business where this user may change providers, never anyone else.
        if db_field.name == "user":
            allowed = access_for(request.user).businesses_allowing(
                "appointments.provider", roles.CHANGE
            )
            if request.user.is_superuser:
                return queryset
            return queryset.filter(memberships__business__in=allowed).distinct()
        return super().scope_choices(request, db_field, queryset)


class WhenFilter(admin.SimpleListFilter):
    """Staff open the list to see what is coming, so upcoming is the default view."""

    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [
            ("today", "Today"),
            ("upcoming", "Upcoming"),
            ("past", "Past"),
            ("all", "All"),
        ]

    def value(self):
        return super().value() or "upcoming"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        now = timezone.now()
        start_of_today = timezone.localtime(now).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        if self.value() == "today":
            return queryset.filter(
                start_at__gte=start_of_today,
                start_at__lt=start_of_today + dt.timedelta(days=1),
            )
        if self.value() == "upcoming":
            return queryset.filter(start_at__gte=start_of_today)
        if self.value() == "past":
            return queryset.filter(start_at__lt=start_of_today).order_by("-start_at")
        return queryset


class AppointmentForm(forms.ModelForm):
    book_anyway = forms.BooleanField(
        label="Book anyway",
        required=False,
        help_text="Needed for a time Roxy would not offer: outside hours, on a closed "
        "day, during time off, in the past or beyond the booking horizon.",
    )

    class Meta:
        model = Appointment
        fields = ("business", "service", "provider", "lead", "start_at", "notes")

    def clean(self):
        # The admin's tenancy form checks first that the service, provider and lead
        # are the business's own.
        cleaned = super().clean()
        service, provider = cleaned.get("service"), cleaned.get("provider")
        if self.errors or not (service and provider and cleaned.get("start_at")):
            return cleaned
        # End and blocked time follow from the service; set them before the model's
        # own constraint checks run on the instance.
        candidate = self.instance
        candidate.service, candidate.provider = service, provider
        candidate.set_times(cleaned["start_at"])
        try:
            appointment_services.ensure_no_clash(candidate)
        except appointment_services.SlotTakenError:
            raise forms.ValidationError(
                f"{provider} already has an appointment at that time. "
                "Pick another time or another provider."
            ) from None
        if self._time_changes():
            self._check_bookable(candidate, override=cleaned.get("book_anyway"))
        return cleaned

    def _time_changes(self) -> bool:
        """A new booking, or a move; editing the notes of a visit long past is not."""
        moved = {"start_at", "provider", "service"} & set(self.changed_data)
        return self.instance.pk is None or bool(moved)

    def _check_bookable(self, candidate: Appointment, *, override: bool) -> None:
        """Nothing Roxy would not offer (a closed day, 03:00, the past) is booked
        silently: staff tick "Book anyway" once they have read why."""
        problems = bookability.problems_with(
            candidate.service,
            provider=candidate.provider,
            start_at=candidate.start_at,
            ignoring=candidate if candidate.pk else None,
        )
        # The clash was refused above, including one with a provider who does not
        # offer the service (which `problems_with` stops short of checking).
        overridable = [problem for problem in problems if problem.overridable]
        for message in bookability.refusal(overridable, overridden=override):
            self.add_error("book_anyway", message)


@admin.register(Appointment)
class AppointmentAdmin(TenantScopedAdmin):
    form = AppointmentForm
    list_display = (
        "start_at",
        "end_at",
        "service",
        "provider",
        "lead",
        "lead_phone",
        "status",
    )
    list_filter = (WhenFilter, "status", "provider", "service", "business")
    list_select_related = ("business", "service", "provider", "lead")

    def get_queryset(self, request):
        # The sms: link follows the number's STOP/START (issue #14), in the query.
        return (
            super()
            .get_queryset(request)
            .annotate(takes_texts=consent.takes_texts(phone="lead__phone", lead="lead"))
        )

    search_fields = ("lead__name", "lead__phone", "notes")
    date_hierarchy = "start_at"
    ordering = ("start_at",)
    raw_id_fields = ("lead",)
    readonly_fields = (
        "status",
        "lead_phone",
        "end_at",
        "blocked_until",
        "source_call",
        "reminder_sent_at",
        "cancelled_at",
        "created_at",
    )
    actions = (
        "confirm_appointments",
        "cancel_appointments",
        "mark_no_shows",
        "send_reminders_now",
    )

    @admin.display(description="Phone", ordering="lead__phone")
    def lead_phone(self, appointment):
        lead = appointment.lead
        if lead is None:
            return "—"
        texting = consent.row_takes_texts(
            appointment, appointment.business_id, lead.phone, lead
        )
        return phone_link(lead.phone, appointment.business, texting=texting)

    def save_model(self, request, obj, form, change):
        # New bookings and moves go through the booking services, the one path that
        # checks clashes and that notifications hang off.
        data = form.cleaned_data
        if not change:
            booked = appointment_services.book_appointment(
                data["service"],
                provider=data["provider"],
                start_at=data["start_at"],
                lead=data.get("lead"),
                notes=data.get("notes", ""),
            )
            obj.pk = booked.pk
            return
        Appointment.objects.filter(pk=obj.pk).update(
            lead=data.get("lead"), notes=data["notes"]
        )
        if {"start_at", "provider", "service"} & set(form.changed_data):
            appointment_services.reschedule_appointment(
                obj,
                start_at=data["start_at"],
                provider=data["provider"],
                service=data["service"],
                by_staff=True,
            )

    @admin.action(description="Confirm selected appointments")
    def confirm_appointments(self, request, queryset):
        self._apply(
            request, queryset, appointment_services.confirm_appointment, "Confirmed"
        )

    @admin.action(description="Cancel selected appointments")
    def cancel_appointments(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda a: appointment_services.cancel_appointment(
                a, reason="Cancelled by staff", by_staff=True
            ),
            "Cancelled",
        )

    @admin.action(description="Mark selected appointments as no-show")
    def mark_no_shows(self, request, queryset):
        self._apply(
            request, queryset, appointment_services.mark_no_show, "Marked no-show"
        )

    @admin.action(description="Send reminder now")
    def send_reminders_now(self, request, queryset):
        now = timezone.now()
        sent = sum(
            notices.queue_reminder(pk, now=now)
            for pk in queryset.values_list("pk", flat=True)
        )
        skipped = queryset.count() - sent
        self.message_user(request, f"Queued reminders for {sent} appointment(s).")
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: already reminded, in the past, or not active.",
                level=messages.WARNING,
            )

    def _apply(self, request, queryset, change, verb):
        done, refused = 0, []
        for appointment in queryset:
            try:
                change(appointment)
                done += 1
            except appointment_services.AppointmentNotChangeableError as exc:
                refused.append(f"{appointment}: {exc}")
        self.message_user(request, f"{verb} {done} appointment(s).")
        for reason in refused:
            self.message_user(request, reason, level=messages.WARNING)
