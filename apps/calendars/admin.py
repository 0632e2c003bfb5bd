"""Staff pages for outside calendars: connections and the writes into them.

Who connects: a manager of the business, or the provider whose calendar it is
(their staff login is `Provider.user`), whatever their role. Secrets are typed
once into a password field, encrypted, and never shown again.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from apps.businesses.models import Membership
from apps.businesses.tenant_admin import TenantScopedAdmin, TenantTabularInline
from apps.calendars import oauth, services
from apps.calendars.models import CalendarConnection, CalendarWrite, ConnectedCalendar
from apps.calendars.outbox import requeue_writes
from apps.calendars.providers.base import GrantRevoked, ProviderError


class CalDAVConnectForm(forms.ModelForm):
    """Connect a CalDAV account: checked against the server before anything is saved."""

    server_url = forms.URLField(
        label="Server address",
        assume_scheme="https",
        help_text="iCloud: https://caldav.icloud.com/ · Fastmail: "
        "https://caldav.fastmail.com/ · Nextcloud: https://<host>/remote.php/dav/",
    )
    password = forms.CharField(
        label="App password",
        widget=forms.PasswordInput(render_value=False),
        help_text="For iCloud: an app-specific password from account.apple.com. "
        "Stored encrypted; never shown again.",
    )

    class Meta:
        model = CalendarConnection
        fields = ["business", "provider", "server_url", "account"]
        labels = {"account": "User name"}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["account"].required = True

    def clean(self):
        cleaned = super().clean()
        business, provider = cleaned.get("business"), cleaned.get("provider")
        if business is None or self.errors:
            return cleaned
        if provider is not None and provider.business_id != business.pk:
            self.add_error("provider", "This provider belongs to another business.")
            return cleaned
        if not oauth.may_connect(self.request.user, business, provider):
            raise forms.ValidationError(
                "Only a manager of the business, or the provider themselves, "
                "may connect a calendar."
            )
        try:
            self.connection = services.connect_caldav(
                business=business,
                provider=provider,
                server_url=cleaned["server_url"],
                username=cleaned["account"],
                password=cleaned["password"],
                user=self.request.user,
            )
        except GrantRevoked:
            raise forms.ValidationError(
                "The server refused that user name and password."
            ) from None
        except ProviderError as exc:
            raise forms.ValidationError(
                f"Could not reach the calendar: {exc}"
            ) from None
        return cleaned


class OneBookingCalendar(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        chosen = [
            form
            for form in self.forms
            if form.cleaned_data.get("receives_bookings")
            and not form.cleaned_data.get("DELETE")
        ]
        if len(chosen) > 1:
            raise forms.ValidationError("Choose one calendar to receive bookings.")


class ConnectedCalendarInline(TenantTabularInline):
    model = ConnectedCalendar
    formset = OneBookingCalendar
    fields = ["name", "blocks_time", "receives_bookings", "can_write", "last_synced_at"]
    readonly_fields = ["name", "can_write", "last_synced_at"]
    extra = 0
    can_delete = False
    verbose_name_plural = "Calendars: which count as busy, which one receives bookings"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(TenantScopedAdmin):
    list_display = [
        "__str__",
        "provider",
        "kind",
        "status",
        "last_synced_at",
        "error_summary",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ("business", "provider")  # each row's title names them
    search_fields = ["account", "provider__name"]
    readonly_fields = [
        "kind",
        "account",
        "server_url",
        "status",
        "connected_by",
        "last_synced_at",
        "next_sync_at",
        "failures",
        "last_error",
        "last_error_at",
    ]
    inlines = [ConnectedCalendarInline]
    actions = ["sync_now", "disconnect"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["business", "provider", "server_url", "account", "password"]
        return ["business", "provider", *self.readonly_fields, "reconnect"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["business", "provider", *self.readonly_fields, "reconnect"]

    @admin.display(description="Reconnect")
    def reconnect(self, obj):
        if obj.kind == "caldav" or not oauth.is_configured(obj.kind):
            return "CalDAV: disconnect, then connect again with a new app password."
        url = oauth.start_url(
            obj.kind, obj.business_id, obj.provider_id, connection_id=obj.pk
        )
        return format_html(
            '<a href="{}">Sign in to {} again</a>', url, obj.get_kind_display()
        )

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": self._oauth_offer(request),
        }
        return super().add_view(request, form_url, extra_context)

    def _oauth_offer(self, request) -> str:
        """Links to connect Google or Microsoft: for the businesses the user manages
        (a shared calendar) and for their own provider rows."""
        kinds = [k for k in ("google", "microsoft") if oauth.is_configured(k)]
        if not kinds:
            return ""
        user = request.user
        managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER)
        targets = [(m.business_id, None, m.business.name) for m in managed]
        targets += [
            (p.business_id, p.pk, p.name)
            for p in user.providers.select_related("business")
        ]
        links = [
            (
                oauth.start_url(kind, business_id, provider_id),
                f"{label}: {kind.title()}",
            )
            for business_id, provider_id, label in targets
            for kind in kinds
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        kwargs["form"] = CalDAVConnectForm
        form = super().get_form(request, obj, **kwargs)

        class WithRequest(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self._may_touch(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # disconnect instead: it revokes and forgets the secret

    def _may_touch(self, request, obj) -> bool:
        return oauth.may_connect(request.user, obj.business, obj.provider)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        obj.pk = form.connection.pk  # connect_caldav saved it

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.display(description="Last error")
    def error_summary(self, obj):
        return (obj.last_error or "")[:80]

    @admin.action(description="Sync the selected calendars now", permissions=["change"])
    def sync_now(self, request, queryset):
        count = services.resync(queryset)
        self.message_user(request, f"Syncing {count} connection(s) now.")

    @admin.action(
        description="Disconnect the selected calendars", permissions=["change"]
    )
    def disconnect(self, request, queryset):
        done = 0
        for connection in queryset.select_related("business", "provider"):
            if self._may_touch(request, connection):
                services.disconnect(connection)
                done += 1
        skipped = queryset.count() - done
        level = messages.WARNING if skipped else messages.SUCCESS
        self.message_user(
            request,
            f"Disconnected {done}; left {skipped} alone (not yours to disconnect).",
            level,
        )


@admin.register(CalendarWrite)
class CalendarWriteAdmin(TenantScopedAdmin):
    """Appointments on their way into calendars: failures and outside edits to decide."""

    list_display = ["appointment", "calendar", "state", "conflict_text", "updated_at"]
    # The appointment's title (service, provider, local time) and the conflict's
    # local time: one query for the page whatever its length.
    list_select_related = (
        "business",
        "calendar",
        "appointment__business",
        "appointment__service",
        "appointment__provider",
    )
    list_filter = ["state", "conflict"]
    fields = [
        "appointment",
        "calendar",
        "state",
        "conflict_text",
        "attempts",
        "next_attempt_at",
        "last_error",
        "remote_id",
        "written_start",
        "written_end",
    ]
    readonly_fields = fields
    actions = ["write_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Changed outside VoiceHive")
    def conflict_text(self, obj):
        if obj.conflict == CalendarWrite.Conflict.MOVED and obj.conflict_start:
            when = obj.conflict_start.astimezone(obj.business.tzinfo)
            return format_html(
                "Moved in the calendar to {} (the appointment kept its time; that "
                "time is blocked too). Move the appointment, or write it back.",
                when.strftime("%a %d %b %H:%M"),
            )
        if obj.conflict == CalendarWrite.Conflict.CLASH and obj.conflict_start:
            when = obj.conflict_start.astimezone(obj.business.tzinfo)
            return format_html(
                "Another event in the calendar at {} overlaps this appointment. "
                "Move one of them; 'write again' once settled.",
                when.strftime("%a %d %b %H:%M"),
            )
        if obj.conflict == CalendarWrite.Conflict.DELETED:
            return (
                "Deleted from the calendar (the appointment still stands). Cancel "
                "the appointment, or write it back."
            )
        return ""

    @admin.action(
        description="Write the appointment into the calendar again",
        permissions=["change"],
    )
    def write_again(self, request, queryset):
        count = requeue_writes(queryset)
        self.message_user(request, f"Queued {count} write(s).")
