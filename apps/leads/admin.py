from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.appointments.models import Appointment
from apps.businesses import roles
from apps.businesses.tenancy import access_for
from apps.businesses.tenant_admin import TenantScopedAdmin, TenantTabularInline
from apps.calls import post_call
from apps.calls.models import Call
from apps.core.admin_buttons import ObjectButtons
from apps.core.phones import InvalidPhoneError, normalize_phone, phone_link
from apps.leads import callbacks, csv_format
from apps.leads import services as lead_services

# Importing the callback list's admin module registers it alongside LeadAdmin.
from apps.leads.callback_admin import DAYWORK_CSS, staff_name
from apps.leads.models import CallbackRequest, Lead
from apps.notifications import consent
from apps.notifications.admin import consent_summary
from apps.notifications.models import Notification


class ScoreBandFilter(admin.SimpleListFilter):
    title = "score"
    parameter_name = "score_band"
    BANDS = {
        "hot": ("Hot (70+)", {"score__gte": 70}),
        "warm": ("Warm (40–69)", {"score__gte": 40, "score__lt": 70}),
        "cold": ("Cold (under 40)", {"score__lt": 40}),
        "unscored": ("Not scored", {"score__isnull": True}),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.BANDS:
            return queryset.filter(**self.BANDS[self.value()][1])
        return queryset


class ReadOnlyInline(TenantTabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CallInline(ReadOnlyInline):
    model = Call
    fields = (
        "created_at",
        "duration_seconds",
        "summary",
        "intent",
        "sentiment",
        "ended_reason",
    )
    readonly_fields = fields
    ordering = ("-created_at",)

    def get_queryset(self, request):
        # Each row is labelled with the call's title: its lead's name and zone.
        return super().get_queryset(request).select_related("lead", "business")


class AppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ("start_at", "service", "provider", "status")
    readonly_fields = fields
    ordering = ("-start_at",)


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = ("created_at", "kind", "channel", "recipient", "status")
    readonly_fields = fields
    ordering = ("-created_at",)

    def get_queryset(self, request):
        # Each row is labelled with the call's title: its lead's name and zone.
        return super().get_queryset(request).select_related("lead", "business")


class CallbackRequestInline(ReadOnlyInline):
    model = CallbackRequest
    fields = ("created_at", "message", "urgency", "status", "owner", "due_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assigned_to")

    @admin.display(description="Owner")
    def owner(self, callback):
        return staff_name(callback.assigned_to) if callback.assigned_to else "—"


@admin.register(Lead)
class LeadAdmin(ObjectButtons, TenantScopedAdmin):
    list_display = (
        "name_or_phone",
        "phone_display",
        "status",
        "score",
        "source",
        "last_call",
        "next_appointment",
        "created_at",
    )
    list_filter = ("status", ScoreBandFilter, "source", "business", "created_at")
    list_select_related = ("business",)  # each phone is formatted for its country
    search_fields = ("name", "email", "phone")
    list_per_page = 50
    business_times = {
        "last_call": "last_call_at",
        "next_appointment": "next_appointment_at",
    }
    show_full_result_count = (
        False  # an exact count of 100,000 rows costs more than the page
    )
    # suggested_email: heard by the call analysis only; staff confirm it by action.
    readonly_fields = (
        "suggested_email",
        "text_consent",
        "created_at",
        "updated_at",
        "last_contacted_at",
    )
    inlines = (CallInline, AppointmentInline, CallbackRequestInline, NotificationInline)
    actions = (
        "mark_contacted",
        "mark_qualified",
        "mark_won",
        "mark_lost",
        "export_csv",
        "merge_duplicates",
        "rerun_last_call_analysis",
        "use_suggested_email",
    )
    object_buttons = ("call_back", "mark_contacted")

    class Media:
        css = DAYWORK_CSS

    def get_queryset(self, request):
        last_call = Call.objects.filter(lead=OuterRef("pk")).order_by("-created_at")
        next_visit = (
            Appointment.objects.active()
            .filter(lead=OuterRef("pk"), start_at__gte=timezone.now())
            .order_by("start_at")
        )
        return (
            super()
            .get_queryset(request)
            .defer("notes")
            .annotate(
                last_call_at=Subquery(last_call.values("created_at")[:1]),
                next_appointment_at=Subquery(next_visit.values("start_at")[:1]),
                # The sms: link follows the number's STOP/START too (issue #14).
                takes_texts=consent.takes_texts(lead=""),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """A phone number typed in any format finds the lead by its E.164 number."""
        try:
            phone = normalize_phone(search_term)
        except InvalidPhoneError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(phone=phone), False

    @admin.display(description="Name", ordering="name")
    def name_or_phone(self, lead):
        return lead.name or "(no name)"

    @admin.display(description="Phone", ordering="phone")
    def phone_display(self, lead):
        texting = consent.row_takes_texts(lead, lead.business_id, lead.phone, lead)
        return phone_link(lead.phone, lead.business, texting=texting)

    @admin.display(description="Texts")
    def text_consent(self, lead):
        # Issue #14: the number's STOP/START state, changed with a reason.
        return consent_summary(lead.business, lead.phone)

    @admin.display(description="Last call", ordering="last_call_at")
    def last_call(self, lead):
        return lead.last_call_at

    @admin.display(description="Next appointment", ordering="next_appointment_at")
    def next_appointment(self, lead):
        return lead.next_appointment_at

    @admin.action(description="Move to: contacted")
    def mark_contacted(self, request, queryset):
        self._move(request, queryset, Lead.Status.CONTACTED)

    @admin.action(description="Move to: qualified")
    def mark_qualified(self, request, queryset):
        self._move(request, queryset, Lead.Status.QUALIFIED)

    @admin.action(description="Move to: won")
    def mark_won(self, request, queryset):
        self._move(request, queryset, Lead.Status.WON)

    @admin.action(description="Move to: lost")
    def mark_lost(self, request, queryset):
        self._move(request, queryset, Lead.Status.LOST)

    @admin.action(description="Use the email heard in the call")
    def use_suggested_email(self, request, queryset):
        confirmed = lead_services.confirm_suggested_emails(queryset)
        self.message_user(
            request, f"Confirmed the email heard in the call for {confirmed} lead(s)."
        )

    def press_mark_contacted(self, request, lead):
        lead = lead_services.mark_lead_contacted(lead)
        self.message_user(
            request, f"Marked {lead} contacted; status: {lead.get_status_display()}."
        )

    def press_call_back(self, request, lead):
        if not access_for(request.user).allows(
            lead.business_id, "leads.callbackrequest", roles.CHANGE
        ):
            raise PermissionDenied
        try:
            callback, created = callbacks.request_callback(lead, by=request.user)
        except callbacks.CallbackError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        url = reverse("admin:leads_callbackrequest_change", args=[callback.pk])
        said = "Added to" if created else "Already on"
        self.message_user(
            request, format_html('{} <a href="{}">the callback list</a>.', said, url)
        )

    def _move(self, request, queryset, status):
        moved = lead_services.move_leads(queryset, status=status)
        self.message_user(
            request, f"Moved {moved} lead(s) to {Lead.Status(status).label}."
        )

    @admin.action(description="Export selected leads as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
        csv_format.write_leads(queryset.order_by("created_at").iterator(), response)
        return response

    @admin.action(
        description="Merge selected duplicates into the oldest",
        permissions=("delete",),
    )
    def merge_duplicates(self, request, queryset):
        """Show what the merge keeps and deletes; merge once that page is confirmed."""
        leads = list(
            queryset.select_related("business")
            .annotate(
                call_count=Count("calls", distinct=True),
                appointment_count=Count("appointments", distinct=True),
                callback_count=Count("callback_requests", distinct=True),
            )
            .order_by("created_at", "pk")
        )
        if len(leads) < 2 or len({lead.business_id for lead in leads}) > 1:
            self.message_user(
                request,
                "Select two or more leads of the same business to merge.",
                level=messages.WARNING,
            )
            return None
        if not request.POST.get("post"):
            request.current_app = self.admin_site.name
            return TemplateResponse(
                request,
                "admin/leads/lead/merge_duplicates_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Merge duplicate leads",
                    "subtitle": None,
                    "opts": self.opts,
                    "media": self.media,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "survivor": leads[0],
                    "duplicates": leads[1:],
                    "rows": [(lead, self.phone_display(lead)) for lead in leads],
                },
            )
        survivor = lead_services.merge_leads(leads[0], duplicates=leads[1:])
        url = reverse("admin:leads_lead_change", args=[survivor.pk])
        self.message_user(
            request,
            format_html(
                'Merged {} lead(s) into <a href="{}">{}</a>.',
                len(leads) - 1,
                url,
                survivor,
            ),
        )

    @admin.action(description="Re-run AI analysis of each lead's last call")
    def rerun_last_call_analysis(self, request, queryset):
        last_call = (
            Call.objects.filter(lead=OuterRef("pk"))
            .order_by("-created_at")
            .values("pk")[:1]
        )
        call_ids = queryset.annotate(last_call_id=Subquery(last_call)).values(
            "last_call_id"
        )
        queued = post_call.request_reanalysis(Call.objects.filter(pk__in=call_ids))
        self.message_user(request, f"Queued {queued} call(s) for analysis.")
