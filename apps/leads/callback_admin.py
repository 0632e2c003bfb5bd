"""The callback list staff work through: owners, due times, done and reopened."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from apps.businesses import roles
from apps.businesses.tenancy import access_for
from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.core.admin_buttons import ObjectButtons
from apps.core.phones import phone_link
from apps.leads import callbacks
from apps.leads.models import CallbackRequest
from apps.notifications import consent

DAYWORK_CSS = {"all": ("dashboard/daywork.css",)}


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("mine", "Mine"), ("nobody", "Nobody yet")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.due_by(timezone.now())
        return queryset


class CallbackRequestForm(forms.ModelForm):
    """The owner chosen holds a role at the request's business."""

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("assigned_to")
        business = cleaned.get("business") or getattr(self.instance, "business", None)
        if owner and business:
            if not callbacks.staff_of([business.pk]).filter(pk=owner.pk).exists():
                self.add_error("assigned_to", f"{owner} is not on {business}'s staff.")
        return cleaned


@admin.register(CallbackRequest)
class CallbackRequestAdmin(ObjectButtons, TenantScopedAdmin):
    form = CallbackRequestForm
    list_display = (
        "created_at",
        "name",
        "phone",
        "urgency",
        "status",
        "owner",
        "due",
        "business",
        "lead",
    )
    list_filter = (OwnerFilter, DueFilter, "status", "urgency", "business")
    list_select_related = ("business", "lead", "assigned_to")

    def get_queryset(self, request):
        # The sms: link follows the number's STOP/START (issue #14), in the query.
        return (
            super()
            .get_queryset(request)
            .annotate(
                takes_texts=consent.takes_texts(phone="callback_number", lead="lead")
            )
        )

    search_fields = ("name", "callback_number", "message")
    date_hierarchy = "created_at"
    # Open before done ("open" > "done"), then the soonest due first.
    ordering = ("-status", "due_at", "-created_at")
    raw_id_fields = ("lead", "call")
    # Done and reopened only through the page's buttons and the list action, which
    # stamp resolved_at; a request changes hands through the page's buttons too.
    readonly_fields = ("status", "call", "created_at", "resolved_at")
    actions = ("resolve_callback_requests",)
    object_buttons = ("resolve", "reopen", "assign")

    class Media:
        css = DAYWORK_CSS

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "owner") if obj is not None else readonly

    def get_exclude(self, request, obj=None):
        return ("assigned_to",) if obj is not None else None

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        owner = form.base_fields.get("assigned_to")
        if owner is not None:
            owner.queryset = callbacks.staff_of(self._businesses(request, obj))
            owner.label_from_instance = staff_name
        return form

    def _businesses(self, request, obj) -> list[int]:
        """Where the owner may come from: the request's business, or on the add
        page any business the user may add requests to."""
        if obj is not None:
            return [obj.business_id]
        access = access_for(request.user)
        if access.is_operator:
            return list(access.timezones)
        return access.businesses_allowing(self.tenant_label, roles.ADD)

    def save_model(self, request, obj, form, change):
        edited = set(form.changed_data)
        if obj.due_at is None:
            obj.due_at = callbacks.due_at_for(
                obj.business, urgency=obj.urgency, now=timezone.now()
            )
            edited.add("due_at")
        if change:
            # Only what was edited: a save must not undo a "Mark done" pressed meanwhile.
            obj.save(update_fields=[*edited, "updated_at"])
        else:
            super().save_model(request, obj, form, change)

    def get_list_display(self, request):
        access, now = access_for(request.user), timezone.now()

        def due(callback):
            when = access.local_time(callback.business_id, callback.due)
            if callback.is_overdue(now):
                return format_html('<span class="vh-overdue">{} overdue</span>', when)
            return when

        due.short_description, due.admin_order_field = "due", "due_at"
        return [due if c == "due" else c for c in super().get_list_display(request)]

    def render_change_form(self, request, context, add=False, change=False, **kwargs):
        obj = kwargs.get("obj")
        if obj is not None:
            colleagues = [
                (user.pk, staff_name(user))
                for user in callbacks.staff_of([obj.business_id])
            ]
            context.update(
                colleagues=colleagues,
                may_take_it=obj.assigned_to_id != request.user.pk
                and any(pk == request.user.pk for pk, _ in colleagues),
                is_overdue=obj.is_overdue(timezone.now()),
                texting=consent.row_takes_texts(
                    obj, obj.business_id, obj.callback_number, obj.lead
                ),
            )
        return super().render_change_form(request, context, add, change, **kwargs)

    @admin.display(description="Phone", ordering="callback_number")
    def phone(self, callback):
        texting = consent.row_takes_texts(
            callback, callback.business_id, callback.callback_number, callback.lead
        )
        return phone_link(callback.callback_number, callback.business, texting=texting)

    @admin.display(description="Owner", ordering="assigned_to__first_name")
    def owner(self, callback):
        return staff_name(callback.assigned_to) if callback.assigned_to else "—"

    @admin.action(description="Mark as done")
    def resolve_callback_requests(self, request, queryset):
        done = sum(
            callbacks.resolve_callback_request(callback) for callback in queryset.open()
        )
        self.message_user(request, f"Marked {done} callback request(s) done.")

    def press_resolve(self, request, callback):
        if callbacks.resolve_callback_request(callback):
            self.message_user(request, f"{callback} is done.")

    def press_reopen(self, request, callback):
        if callbacks.reopen_callback_request(callback):
            self.message_user(request, f"{callback} is open again.")

    def press_assign(self, request, callback):
        """POST `to`: a colleague's user id, or nothing to leave it with nobody."""
        chosen = request.POST.get("to", "")
        staff = callbacks.staff_of([callback.business_id])
        owner = staff.filter(pk=chosen).first() if chosen.isdigit() else None
        if chosen and owner is None:
            self.message_user(request, "Pick someone on the staff.", messages.ERROR)
            return
        try:
            callbacks.assign_callback_request(callback, to=owner)
        except callbacks.CallbackError as exc:  # they left the staff meanwhile
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        who = staff_name(owner) if owner else "nobody"
        self.message_user(request, f"{callback} is now {who}'s.")


def staff_name(user) -> str:
    """A member of staff as colleagues know them: full name, else username."""
    return user.get_full_name() or user.get_username()
