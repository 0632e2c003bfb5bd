"""Outside calendars a business connects: the connection, its calendars, their busy
time, and the outbox of appointment writes into the booking calendar.

The rows are the truth: availability reads BusyBlock (never the provider during a
call), and every appointment change becomes a pending CalendarWrite that the worker
delivers and the sweep re-rings.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.calendars import crypto
from apps.core.models import TimeStampedModel


class Kind(models.TextChoices):
    GOOGLE = "google", "Google Calendar"
    MICROSOFT = "microsoft", "Microsoft 365 / Outlook"
    CALDAV = "caldav", "CalDAV (iCloud, Fastmail, Nextcloud...)"


class CalendarConnectionQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=CalendarConnection.LIVE_STATUSES)

    def due_for_sync(self, now: dt.datetime):
        return self.live().filter(
            Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
        )


class CalendarConnection(TimeStampedModel):
    """One account at one calendar service, for a provider (their own calendar) or,
    with no provider, for the whole business (a shared calendar)."""

    class Status(models.TextChoices):
        CONNECTING = "connecting", "Connecting"  # OAuth started, no grant yet
        ACTIVE = "active", "Active"
        ERROR = "error", "Failing (retrying)"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"
        DISCONNECTED = "disconnected", "Disconnected"

    LIVE_STATUSES = (Status.ACTIVE, Status.ERROR)

    business = models.ForeignKey(
        "businesses.Business",
        on_delete=models.CASCADE,
        related_name="calendar_connections",
    )
    provider = models.ForeignKey(
        "appointments.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_connections",
        help_text="Whose calendar this is. Empty: a shared calendar that blocks every provider.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    account = models.CharField(
        max_length=254,
        blank=True,
        help_text="The account's email or user name, as the service shows it.",
    )
    server_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="CalDAV only: the server's address (for iCloud https://caldav.icloud.com/).",
    )
    # Fernet token of a JSON dict (OAuth tokens or the CalDAV password); never shown.
    secret = models.TextField(blank=True, editable=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.CONNECTING
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A sync holds the connection from sync_claimed_at (for SYNC_CLAIM_SECONDS, in
    # case its worker dies): a push-triggered and a scheduled sync never overlap. One
    # asked for meanwhile sets sync_again, and the holder rings it when done.
    sync_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_again = models.BooleanField(default=False, editable=False)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["business", "kind", "account"]
        indexes = [models.Index(fields=["status", "next_sync_at"])]

    def __str__(self) -> str:
        who = self.provider.name if self.provider_id else "whole business"
        return f"{self.get_kind_display()} {self.account or ''} ({who})".replace(
            "  ", " "
        )

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    def credentials(self) -> dict:
        """The decrypted secret dict ({} when none is stored)."""
        return crypto.decrypt_json(self.secret) if self.secret else {}

    def store_credentials(self, values: dict) -> None:
        """Encrypt and save `values` (refreshed tokens, a new password) on this row."""
        self.secret = crypto.encrypt_json(values)
        if self.pk:
            # A token refresh racing a disconnect must not write the secret back.
            type(self).objects.filter(pk=self.pk).exclude(
                status=self.Status.DISCONNECTED
            ).update(secret=self.secret)


class ConnectedCalendar(TimeStampedModel):
    """One calendar of a connection: it may count as busy time, receive bookings, or both."""

    tenant_path = "connection__business"

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="calendars"
    )
    remote_id = models.CharField(max_length=500)
    name = models.CharField(max_length=255, blank=True)
    is_primary = models.BooleanField(default=False)
    can_write = models.BooleanField(default=True)
    blocks_time = models.BooleanField(
        default=False, help_text="Events in this calendar make the provider busy."
    )
    receives_bookings = models.BooleanField(
        default=False,
        help_text="VoiceHive writes its appointments into this calendar (one per connection).",
    )
    sync_token = models.TextField(blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # The end of the window the last full listing covered: availability counts the
    # time after it as busy (unknown), so nothing beyond it is silently bookable.
    synced_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Push channel (Google watch channel / Graph subscription), kept by C2's push.py.
    channel_id = models.CharField(max_length=255, blank=True, editable=False)
    channel_resource_id = models.CharField(max_length=255, blank=True, editable=False)
    channel_token = models.CharField(max_length=255, blank=True, editable=False)
    channel_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["connection", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "remote_id"], name="unique_connected_calendar"
            ),
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(receives_bookings=True),
                name="one_booking_calendar_per_connection",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.remote_id


class BusyBlockQuerySet(models.QuerySet):
    def blocking(self):
        """Events that make someone busy, from calendars chosen to count as busy."""
        return self.filter(blocks_time=True, is_ours=False, calendar__blocks_time=True)

    def for_providers(self, business_id: int, provider_ids):
        """Blocks of these providers' own calendars plus the business's shared ones."""
        return self.filter(business_id=business_id).filter(
            Q(provider_id__in=list(provider_ids)) | Q(provider__isnull=True)
        )

    def overlapping(self, start: dt.datetime, end: dt.datetime):
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class BusyBlock(models.Model):
    """A stretch of an outside calendar as last synced (one row per occurrence).

    business and provider are copied from the connection so availability reads one
    indexed table without joins (constant queries however many events there are).
    """

    calendar = models.ForeignKey(
        ConnectedCalendar, on_delete=models.CASCADE, related_name="busy_blocks"
    )
    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="+"
    )
    provider = models.ForeignKey(
        "appointments.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="busy_blocks",
    )
    remote_id = models.CharField(max_length=500)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    blocks_time = models.BooleanField(default=True)
    # An event VoiceHive wrote and that still sits where we put it: the appointment
    # itself already holds that time, so it must not block it twice (nor its own move).
    is_ours = models.BooleanField(default=False)
    voicehive_ref = models.CharField(max_length=100, blank=True)
    etag = models.CharField(max_length=255, blank=True)

    objects = BusyBlockQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "remote_id"], name="unique_busy_block"
            ),
        ]
        indexes = [
            models.Index(
                fields=["business", "provider", "starts_at"],
                name="busyblock_lookup",
            ),
        ]

    def __str__(self) -> str:
        return f"busy {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} UTC"


class CalendarWriteQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=CalendarWrite.State.PENDING)

    def due(self, now: dt.datetime):
        return self.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def stale_claims(self, *, now: dt.datetime, older_than: dt.timedelta):
        return self.filter(
            state=CalendarWrite.State.SENDING, claimed_at__lt=now - older_than
        )


class CalendarWrite(TimeStampedModel):
    """The outbox row of one appointment in one booking calendar.

    State-based, not a log of operations: delivering it makes the remote event match
    the appointment as it is *then* (create, update, or delete when cancelled or
    gone). `generation` counts requested changes, so a change made while a write is
    in flight leaves the row PENDING for another pass instead of being lost.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to write"
        SENDING = "sending", "Writing"
        DONE = "done", "In the calendar"
        FAILED = "failed", "Failed"
        CONFLICT = "conflict", "Changed outside VoiceHive"

    class Conflict(models.TextChoices):
        NONE = "", "None"
        MOVED = "moved", "Moved in the calendar"
        DELETED = "deleted", "Deleted from the calendar"
        CLASH = "clash", "Clashes with another event in the calendar"

    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calendar_writes",
    )
    calendar = models.ForeignKey(
        ConnectedCalendar, on_delete=models.CASCADE, related_name="writes"
    )
    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="+"
    )
    voicehive_ref = models.CharField(max_length=100)
    remote_id = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=255, blank=True)
    written_start = models.DateTimeField(null=True, blank=True)
    written_end = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(
        default=False, help_text="The event was removed from the calendar by VoiceHive."
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PENDING
    )
    generation = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_generation = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    conflict = models.CharField(
        max_length=20, choices=Conflict.choices, default=Conflict.NONE, blank=True
    )
    conflict_start = models.DateTimeField(null=True, blank=True)
    conflict_end = models.DateTimeField(null=True, blank=True)
    conflict_detected_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarWriteQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "voicehive_ref"], name="unique_calendar_write"
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.voicehive_ref} → {self.calendar}"
