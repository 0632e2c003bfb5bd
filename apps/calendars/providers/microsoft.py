"""Microsoft 365 / Outlook.com calendars through Microsoft Graph v1.0, over httpx.

httpx rather than msgraph-sdk: the calls are few, the SDK is async-first and very
large, and respx mocks httpx directly (see providers/google.py for the same choice).

Reading uses calendarView delta: occurrences come expanded, each with its own id,
deletions as "@removed". The deltaLink is the sync token; Graph forgetting it (410
Gone, syncStateNotFound, resyncRequired) means a full listing again. Times are
asked for in UTC (Prefer: outlook.timezone).

Our events carry the appointment's reference twice: `transactionId` (Graph drops
a repeated POST with the same id instead of creating a second event) and a
single-value extended property, which a retry searches for when Graph refuses the
repeated transactionId instead.

Microsoft has no endpoint to revoke one application's grant for a user
(revokeSignInSessions signs the person out of every application), so `revoke`
does nothing: disconnecting deletes our copy of the tokens, and the person can
remove VoiceHive at https://myapps.microsoft.com (work accounts) or
https://account.live.com/consent/Manage (personal accounts).
"""

import datetime as dt
import secrets
from urllib.parse import quote

import httpx

from apps.calendars.providers import graph_events, tokens, window
from apps.calendars.providers.base import (
    NotFound,
    ProviderError,
    PushChannel,
    RemoteCalendar,
    SyncPage,
    WrittenEvent,
)

GRAPH = "https://graph.microsoft.com/v1.0"
PREFER = 'outlook.timezone="UTC", odata.maxpagesize=200'
# Outlook event subscriptions may last at most 10080 minutes (4230 until 2023):
# stay under both, and renew a day before.
SUBSCRIPTION_LIFETIME = dt.timedelta(minutes=4200)
RESET_CODES = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}


class GraphError(ProviderError):
    """A Graph error answer, with Graph's own error code ("" when none)."""

    def __init__(self, message: str, *, code: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.code = code

    @property
    def delta_reset(self) -> bool:
        return self.status == 410 or self.code.lower() in RESET_CODES

    @property
    def duplicate(self) -> bool:
        return self.status == 409 or "duplicate" in self.code.lower()


class DeltaReset(Exception):
    """Graph no longer knows the deltaLink: list everything again."""


class MicrosoftAdapter:
    kind = "microsoft"

    def _call(self, connection, method, path, *, ok=(200,), timeout=None, **kwargs):
        url = path if path.startswith("https://") else f"{GRAPH}{path}"
        response = tokens.send(connection, method, url, timeout=timeout, **kwargs)
        if response.status_code in ok:
            return response.json() if response.content else {}
        raise _error(response, f"{method} {path.split('?')[0][:80]}")

    # --- discovery ---

    def account_name(self, connection) -> str:
        me = self._call(
            connection, "GET", "/me", params={"$select": "mail,userPrincipalName"}
        )
        return me.get("mail") or me.get("userPrincipalName") or ""

    def list_calendars(self, connection) -> list[RemoteCalendar]:
        calendars = []
        url = f"{GRAPH}/me/calendars?$select=id,name,canEdit,isDefaultCalendar&$top=100"
        while url:
            page = self._call(connection, "GET", url)
            for item in page.get("value", []):
                calendars.append(
                    RemoteCalendar(
                        remote_id=item["id"],
                        name=item.get("name", ""),
                        is_primary=bool(item.get("isDefaultCalendar")),
                        can_write=bool(item.get("canEdit", True)),
                    )
                )
            url = page.get("@odata.nextLink")
        return calendars

    # --- reading ---

    def sync(self, connection, calendar, *, window_start, window_end) -> SyncPage:
        link, full_on = window.incremental_token(calendar.sync_token)
        if link:
            try:
                page = self._delta(connection, link, full=False)
            except DeltaReset:
                pass  # Graph's delta reset: fall through to a full listing
            else:
                return window.within(page, window_start, window_end, full_on)
        url = (
            f"{GRAPH}/me/calendars/{quote(calendar.remote_id, safe='')}"
            f"/calendarView/delta?startDateTime={graph_events.stamp(window_start)}"
            f"&endDateTime={graph_events.stamp(window_end)}"
        )
        page = self._delta(connection, url, full=True)
        return window.within(page, window_start, window_end, window.today())

    def _delta(self, connection, url, *, full) -> SyncPage:
        tz, events, removed = connection.business.tzinfo, [], []
        while True:
            try:
                page = self._call(connection, "GET", url, headers={"Prefer": PREFER})
            except GraphError as exc:
                if exc.delta_reset:
                    raise DeltaReset(str(exc)) from exc
                raise
            for item in page.get("value", []):
                if "@removed" in item:
                    removed.append(item["id"])
                elif item.get("type") != "seriesMaster":
                    events.append(graph_events.to_remote_event(item, tz))
            if page.get("@odata.nextLink"):
                url = page["@odata.nextLink"]
                continue
            return SyncPage(
                events=events,
                removed_ids=removed,
                next_sync_token=page.get("@odata.deltaLink", ""),
                full=full,
            )

    def free_busy(self, connection, calendars, start, end, *, timeout: float):
        """The default calendar through getSchedule (Exchange's free/busy), other
        chosen calendars through their calendarView."""
        busy = []
        if any(c.is_primary for c in calendars) and connection.account:
            answer = self._call(
                connection,
                "POST",
                "/me/calendar/getSchedule",
                timeout=timeout,
                headers={"Prefer": PREFER},
                json={
                    "schedules": [connection.account],
                    "startTime": {
                        "dateTime": graph_events.naive(start),
                        "timeZone": "UTC",
                    },
                    "endTime": {"dateTime": graph_events.naive(end), "timeZone": "UTC"},
                    "availabilityViewInterval": 15,
                },
            )
            for schedule in answer.get("value", []):
                if schedule.get("error"):
                    raise ProviderError(
                        f"Microsoft getSchedule: {schedule['error'].get('message', '')}"
                    )
                busy.extend(
                    (graph_events.when(i["start"]), graph_events.when(i["end"]))
                    for i in schedule.get("scheduleItems", [])
                    if i.get("status") not in graph_events.NOT_BLOCKING
                )
        for calendar in calendars:
            if calendar.is_primary and connection.account:
                continue
            page = self._call(
                connection,
                "GET",
                f"/me/calendars/{quote(calendar.remote_id, safe='')}/calendarView",
                timeout=timeout,
                headers={"Prefer": PREFER},
                params={
                    "startDateTime": graph_events.stamp(start),
                    "endDateTime": graph_events.stamp(end),
                    "$select": "start,end,showAs,isAllDay,isCancelled,responseStatus",
                    "$top": 200,
                },
            )
            for item in page.get("value", []):
                event = graph_events.to_remote_event(item, connection.business.tzinfo)
                if event.blocks_time:
                    busy.append((event.starts_at, event.ends_at))
        return busy

    # --- writing ---

    def create_event(self, connection, calendar, event) -> WrittenEvent:
        body = {
            **graph_events.body(event),
            "transactionId": event.voicehive_ref,
            "singleValueExtendedProperties": [
                {"id": graph_events.REF_PROPERTY, "value": event.voicehive_ref}
            ],
        }
        path = f"/me/calendars/{quote(calendar.remote_id, safe='')}/events"
        try:
            item = self._call(connection, "POST", path, json=body, ok=(200, 201))
        except GraphError as exc:
            if not exc.duplicate:
                raise
            found = self._find(connection, path, event.voicehive_ref)
            if found is None:
                raise
            return self.update_event(connection, calendar, found, event)
        return WrittenEvent(remote_id=item["id"], etag=item.get("@odata.etag", ""))

    def _find(self, connection, path, voicehive_ref) -> str | None:
        """The id of the event already carrying this reference, if any."""
        ref = voicehive_ref.replace("'", "''")
        page = self._call(
            connection,
            "GET",
            path,
            params={
                "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq "
                f"'{graph_events.REF_PROPERTY}' and ep/value eq '{ref}')",
                "$select": "id",
            },
        )
        items = page.get("value", [])
        return items[0]["id"] if items else None

    def update_event(self, connection, calendar, remote_id, event) -> WrittenEvent:
        try:
            item = self._call(
                connection,
                "PATCH",
                f"/me/events/{quote(remote_id, safe='')}",
                json=graph_events.body(event),
            )
        except ProviderError as exc:
            if exc.status in (404, 410):
                raise NotFound(str(exc), status=exc.status) from exc
            raise
        return WrittenEvent(remote_id=item["id"], etag=item.get("@odata.etag", ""))

    def delete_event(self, connection, calendar, remote_id) -> None:
        self._call(
            connection,
            "DELETE",
            f"/me/events/{quote(remote_id, safe='')}",
            ok=(200, 204, 404, 410),
        )

    # --- push ---

    def watch(self, connection, calendar) -> PushChannel | None:
        from apps.calendars import push

        address = push.notification_url("microsoft")
        if not address:
            return None
        client_state = secrets.token_urlsafe(32)  # Graph allows 128 characters
        answer = self._call(
            connection,
            "POST",
            "/subscriptions",
            ok=(200, 201),
            json={
                "changeType": "created,updated,deleted",
                "notificationUrl": address,
                "lifecycleNotificationUrl": address,
                "resource": f"/me/calendars/{calendar.remote_id}/events",
                "expirationDateTime": graph_events.stamp(
                    _now() + SUBSCRIPTION_LIFETIME
                ),
                "clientState": client_state,
            },
        )
        return PushChannel(
            channel_id=answer["id"],
            resource_id=answer.get("resource", ""),
            expires_at=graph_events.parse_utc(answer.get("expirationDateTime")),
            token=client_state,
        )

    def renew_watch(self, connection, calendar) -> PushChannel | None:
        """Extend the subscription (PATCH expirationDateTime); a gone one is
        opened again."""
        try:
            answer = self._call(
                connection,
                "PATCH",
                f"/subscriptions/{quote(calendar.channel_id, safe='')}",
                json={
                    "expirationDateTime": graph_events.stamp(
                        _now() + SUBSCRIPTION_LIFETIME
                    )
                },
            )
        except ProviderError as exc:
            if exc.status != 404:
                raise
            return self.watch(connection, calendar)
        return PushChannel(
            channel_id=calendar.channel_id,
            resource_id=calendar.channel_resource_id,
            expires_at=graph_events.parse_utc(answer.get("expirationDateTime")),
            token=calendar.channel_token,
        )

    def stop_watch(self, connection, calendar) -> None:
        self._call(
            connection,
            "DELETE",
            f"/subscriptions/{quote(calendar.channel_id, safe='')}",
            ok=(200, 204, 404),
        )

    def revoke(self, connection) -> None:
        return None  # no revocation endpoint: see the module docstring


def _error(response: httpx.Response, what: str) -> ProviderError:
    status = response.status_code
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = str(error.get("code", ""))
    message = f"Microsoft {what} answered {status}" + (f" ({code})" if code else "")
    transient = status == 429 or status >= 500
    return GraphError(
        message,
        code=code,
        transient=transient,
        retry_after=tokens.retry_after(response) if transient else None,
        status=status,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
