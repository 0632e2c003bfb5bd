"""The contract every calendar provider's adapter keeps (Google, Microsoft, CalDAV).

Adapters speak to one outside service and translate its shapes into these plain
values; they never touch appointments or busy blocks themselves. The sync engine
(apps/calendars/sync.py) stores what `sync` returns and the outbox
(apps/calendars/outbox.py) calls the write methods, so an adapter holds no policy:
no retries, no scheduling, no database writes beyond the connection's own
credentials (`connection.store_credentials`) and push channel fields.

`connection` is an apps.calendars.models.CalendarConnection and `calendar` a
ConnectedCalendar of it. Credentials come from `connection.credentials()` (a dict,
decrypted on demand) and refreshed tokens go back through
`connection.store_credentials(dict)`, which encrypts and saves them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class RemoteCalendar:
    remote_id: str
    name: str
    is_primary: bool = False
    can_write: bool = True


@dataclass(frozen=True)
class RemoteEvent:
    """One busy (or explicitly free) stretch of a remote calendar.

    Recurring events come expanded: one RemoteEvent per occurrence, each with its
    own `remote_id` (for example "<uid>@<recurrence-id>" or the provider's
    instance id), so a moved or cancelled occurrence replaces or removes only itself.
    """

    remote_id: str
    starts_at: dt.datetime  # aware; the engine stores it as UTC
    ends_at: dt.datetime
    all_day: bool = False
    # False for free/transparent, declined and cancelled events; tentative blocks.
    blocks_time: bool = True
    # Our appointment's reference when VoiceHive wrote the event (see OutboundEvent).
    voicehive_ref: str = ""
    etag: str = ""


@dataclass(frozen=True)
class SyncPage:
    """What changed since `calendar.sync_token` (or everything, when `full`).

    `full=True`: these events replace everything stored for the calendar inside
    the sync window (first sync, or the provider said the token expired: Google
    410 Gone, Graph syncStateNotFound / delta reset, CalDAV invalid sync-token).
    Adapters that page internally return the pages merged into one SyncPage.
    A removed id also removes the stored occurrences whose remote_id starts with
    "<that id>#" (so an adapter can drop a whole changed series and send its
    occurrences again in `events`; an id in both lists is a replacement, not a
    deletion). `next_sync_token` is stored as-is and handed back on the next call; "" means
    the provider gave none (the next sync is full again).
    """

    events: list[RemoteEvent] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    next_sync_token: str = ""
    full: bool = False


@dataclass(frozen=True)
class OutboundEvent:
    """An appointment as written into the booking calendar.

    `voicehive_ref` is stable per appointment (apps.calendars.outbox.ref_for):
    adapters stamp it on the event (Google extendedProperties.private
    "voicehiveRef" or a deterministic event id, Graph a single-value extended
    property plus transactionId, CalDAV the UID and resource name) so that a
    retried create finds the event it already made instead of making another.
    """

    voicehive_ref: str
    summary: str
    description: str
    starts_at: dt.datetime  # aware UTC
    ends_at: dt.datetime
    time_zone: str  # IANA name of the business's zone, for display in the calendar
    location: str = ""


@dataclass(frozen=True)
class WrittenEvent:
    remote_id: str
    etag: str = ""


@dataclass(frozen=True)
class PushChannel:
    """A push subscription the provider opened (Google watch channel, Graph subscription)."""

    channel_id: str
    resource_id: str = ""
    expires_at: dt.datetime | None = None
    token: str = (
        ""  # Google X-Goog-Channel-Token / Graph clientState we check on arrival
    )


class ProviderError(Exception):
    """A provider call failed.

    `transient` (429, 5xx, network, timeouts): try again later, after
    `retry_after` seconds when the provider said so (Retry-After).
    Otherwise permanent for this request (400, 403 on that calendar, bad data).
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.status = status


class GrantRevoked(ProviderError):
    """The credentials no longer work (invalid_grant, 401 after a refresh, wrong
    CalDAV password): the connection needs reconnecting by a person."""

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("transient", False)
        super().__init__(message, **kwargs)


class NotFound(ProviderError):
    """The event or calendar is gone (404/410 on a single item)."""


@runtime_checkable
class CalendarAdapter(Protocol):
    kind: str  # "google" | "microsoft" | "caldav"

    def list_calendars(self, connection) -> list[RemoteCalendar]: ...

    def sync(
        self,
        connection,
        calendar,
        *,
        window_start: dt.datetime,
        window_end: dt.datetime,
    ) -> SyncPage:
        """Incremental from `calendar.sync_token` when it is set, else full."""
        ...

    def create_event(self, connection, calendar, event: OutboundEvent) -> WrittenEvent:
        """Idempotent by `event.voicehive_ref`: a repeat returns the existing event."""
        ...

    def update_event(
        self, connection, calendar, remote_id: str, event: OutboundEvent
    ) -> WrittenEvent:
        """Raises NotFound when the event was deleted outside VoiceHive."""
        ...

    def delete_event(self, connection, calendar, remote_id: str) -> None:
        """Already gone (404/410) is success."""
        ...

    def free_busy(
        self,
        connection,
        calendars,
        start: dt.datetime,
        end: dt.datetime,
        *,
        timeout: float,
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """Busy intervals (aware UTC) across `calendars`, answered within `timeout` s."""
        ...

    def watch(self, connection, calendar) -> PushChannel | None:
        """Open push notifications; None where the provider has none (CalDAV)."""
        ...

    def stop_watch(self, connection, calendar) -> None: ...

    def revoke(self, connection) -> None:
        """Give the grant back where the provider allows; errors are swallowed by the caller."""
        ...
