"""Google Calendar API v3 over plain httpx (see providers/base.py for the contract).

httpx rather than google-api-python-client: the dozen REST calls are short, the
project already mocks httpx with respx, and the SDK's discovery documents, retries
and threads would hide the 410 / 429 / 403 rateLimitExceeded answers this adapter
maps onto ProviderError itself.

Ids: events are listed with singleEvents=true, so a recurring event comes as its
instances; an instance's remote_id is "<recurringEventId>#<instance id>" so that a
cancelled series (its master id in removed_ids) removes every stored occurrence.
Our own events get a deterministic id, so a retried insert answers 409 instead
of creating a second event.
"""

import datetime as dt
import hashlib
import secrets
import uuid
from urllib.parse import quote

import httpx
from django.conf import settings

from apps.calendars.providers import tokens, window
from apps.calendars.providers.base import (
    NotFound,
    ProviderError,
    PushChannel,
    RemoteCalendar,
    RemoteEvent,
    SyncPage,
    WrittenEvent,
)

API = "https://www.googleapis.com/calendar/v3"
CHANNEL_TTL = dt.timedelta(days=7)  # Google's own default and usual maximum
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}


class GoogleAdapter:
    kind = "google"

    def _call(self, connection, method, path, *, ok=(200,), timeout=None, **kwargs):
        url = path if path.startswith("https://") else f"{API}{path}"
        response = tokens.send(connection, method, url, timeout=timeout, **kwargs)
        if response.status_code in ok:
            return response.json() if response.content else {}
        raise _error(response, f"{method} {path.split('?')[0]}")

    # --- discovery ---

    def account_name(self, connection) -> str:
        """The account's email: the id of its primary calendar."""
        return self._call(connection, "GET", "/calendars/primary").get("id", "")

    def list_calendars(self, connection) -> list[RemoteCalendar]:
        calendars, token = [], None
        while True:
            params = {"maxResults": 250, **({"pageToken": token} if token else {})}
            page = self._call(
                connection, "GET", "/users/me/calendarList", params=params
            )
            for item in page.get("items", []):
                calendars.append(
                    RemoteCalendar(
                        remote_id=item["id"],
                        name=item.get("summaryOverride") or item.get("summary", ""),
                        is_primary=bool(item.get("primary")),
                        can_write=item.get("accessRole") in ("owner", "writer"),
                    )
                )
            token = page.get("nextPageToken")
            if not token:
                return calendars

    # --- reading ---

    def sync(self, connection, calendar, *, window_start, window_end) -> SyncPage:
        token, full_on = window.incremental_token(calendar.sync_token)
        if token:
            try:
                page = self._list(connection, calendar, {"syncToken": token})
            except ProviderError as exc:
                if exc.status != 410:
                    raise
                # 410 Gone: the sync token expired; Google asks for a full sync.
            else:
                return window.within(page, window_start, window_end, full_on)
        params = {"timeMin": _stamp(window_start), "timeMax": _stamp(window_end)}
        page = self._list(connection, calendar, params, full=True)
        return window.within(page, window_start, window_end, window.today())

    def _list(self, connection, calendar, params, *, full=False) -> SyncPage:
        tz = connection.business.tzinfo
        events, removed, page_token = [], [], None
        while True:
            query = {"singleEvents": "true", "maxResults": 2500, **params}
            if not full:
                query["showDeleted"] = "true"
            if page_token:
                query["pageToken"] = page_token
            page = self._call(
                connection, "GET", f"{_cal(calendar)}/events", params=query
            )
            for item in page.get("items", []):
                if item.get("status") == "cancelled":
                    removed.append(_remote_id(item))
                else:
                    events.append(to_remote_event(item, tz))
            page_token = page.get("nextPageToken")
            if not page_token:
                return SyncPage(
                    events=events,
                    removed_ids=removed,
                    next_sync_token=page.get("nextSyncToken", ""),
                    full=full,
                )

    def free_busy(self, connection, calendars, start, end, *, timeout: float):
        answer = self._call(
            connection,
            "POST",
            "/freeBusy",
            timeout=timeout,
            json={
                "timeMin": _stamp(start),
                "timeMax": _stamp(end),
                "items": [{"id": c.remote_id} for c in calendars],
            },
        )
        busy = []
        for calendar_id, found in (answer.get("calendars") or {}).items():
            if found.get("errors"):
                reasons = ",".join(e.get("reason", "") for e in found["errors"])
                raise ProviderError(f"Google free/busy for {calendar_id}: {reasons}")
            busy.extend(
                (_parse(b["start"]), _parse(b["end"])) for b in found.get("busy", [])
            )
        return busy

    # --- writing ---

    def create_event(self, connection, calendar, event) -> WrittenEvent:
        body = {"id": event_id(event.voicehive_ref), **_body(event)}
        path = f"{_cal(calendar)}/events"
        try:
            item = self._call(
                connection, "POST", path, params={"sendUpdates": "none"}, json=body
            )
        except ProviderError as exc:
            if exc.status != 409:
                raise
            # It exists: a retry after a lost answer. Bring it to what we meant
            # (status confirmed also restores it if it had been deleted).
            item = self._call(
                connection,
                "PATCH",
                f"{path}/{body['id']}",
                params={"sendUpdates": "none"},
                json={**_body(event), "status": "confirmed"},
            )
        return WrittenEvent(remote_id=item["id"], etag=item.get("etag", ""))

    def update_event(self, connection, calendar, remote_id, event) -> WrittenEvent:
        try:
            item = self._call(
                connection,
                "PATCH",
                f"{_cal(calendar)}/events/{quote(remote_id, safe='')}",
                params={"sendUpdates": "none"},
                json=_body(event),
            )
        except ProviderError as exc:
            if exc.status in (404, 410):
                raise NotFound(str(exc), status=exc.status) from exc
            raise
        if item.get("status") == "cancelled":
            # Deleted in the calendar: the sync engine shows staff the conflict.
            raise NotFound(f"Google event {remote_id} was deleted", status=410)
        return WrittenEvent(remote_id=item["id"], etag=item.get("etag", ""))

    def delete_event(self, connection, calendar, remote_id) -> None:
        self._call(
            connection,
            "DELETE",
            f"{_cal(calendar)}/events/{quote(remote_id, safe='')}",
            params={"sendUpdates": "none"},
            ok=(200, 204, 404, 410),
        )

    # --- push ---

    def watch(self, connection, calendar) -> PushChannel | None:
        from apps.calendars import push

        address = push.notification_url("google")
        if not address:
            return None
        token = secrets.token_urlsafe(32)
        answer = self._call(
            connection,
            "POST",
            f"{_cal(calendar)}/events/watch",
            json={
                "id": str(uuid.uuid4()),
                "type": "web_hook",
                "address": address,
                "token": token,
                "params": {"ttl": str(int(CHANNEL_TTL.total_seconds()))},
            },
        )
        expires = answer.get("expiration")
        return PushChannel(
            channel_id=answer["id"],
            resource_id=answer.get("resourceId", ""),
            expires_at=(
                dt.datetime.fromtimestamp(int(expires) / 1000, dt.UTC)
                if expires
                else None
            ),
            token=token,
        )

    def renew_watch(self, connection, calendar) -> PushChannel | None:
        """Google channels cannot be extended: open a new one, then stop the old."""
        channel = self.watch(connection, calendar)
        if calendar.channel_id:
            try:
                self.stop_watch(connection, calendar)
            except ProviderError:
                pass  # it expires on its own; its notifications are refused meanwhile
        return channel

    def stop_watch(self, connection, calendar) -> None:
        self._call(
            connection,
            "POST",
            "/channels/stop",
            json={
                "id": calendar.channel_id,
                "resourceId": calendar.channel_resource_id,
            },
            ok=(200, 204, 404),
        )

    def revoke(self, connection) -> None:
        tokens.revoke_google(connection)


def event_id(voicehive_ref: str) -> str:
    """A deterministic Google event id (base32hex alphabet: 0-9 a-v) per appointment
    and deployment, so staging and production never claim each other's events."""
    digest = hashlib.sha256(f"{settings.SITE_URL}|{voicehive_ref}".encode())
    return "vh" + digest.hexdigest()[:40]


def to_remote_event(item: dict, tz) -> RemoteEvent:
    """One event (or instance) as the contract's RemoteEvent."""
    start, end = item.get("start", {}), item.get("end", {})
    all_day = "date" in start and "dateTime" not in start
    if all_day:
        # All-day events are dates: that day in the business's own zone (DST-aware).
        starts_at = _midnight(start["date"], tz)
        ends_at = _midnight(end.get("date", start["date"]), tz)
        if ends_at <= starts_at:
            ends_at = starts_at + dt.timedelta(days=1)
    else:
        starts_at, ends_at = _parse(start["dateTime"]), _parse(end["dateTime"])
    private = (item.get("extendedProperties") or {}).get("private") or {}
    return RemoteEvent(
        remote_id=_remote_id(item),
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        blocks_time=_blocks(item),
        voicehive_ref=private.get("voicehiveRef", ""),
        etag=item.get("etag", ""),
    )


def _blocks(item: dict) -> bool:
    """Free ("transparent"), declined and working-location entries leave time
    free; tentative and out-of-office block it."""
    if item.get("transparency") == "transparent":
        return False
    if item.get("eventType") == "workingLocation":
        return False
    return not any(
        a.get("self") and a.get("responseStatus") == "declined"
        for a in item.get("attendees", [])
    )


def _remote_id(item: dict) -> str:
    series = item.get("recurringEventId")
    return f"{series}#{item['id']}" if series else item["id"]


def _body(event) -> dict:
    tz = event.time_zone
    return {
        "summary": event.summary,
        "description": event.description,
        "location": event.location,
        "start": {"dateTime": _stamp(event.starts_at), "timeZone": tz},
        "end": {"dateTime": _stamp(event.ends_at), "timeZone": tz},
        "transparency": "opaque",
        "extendedProperties": {"private": {"voicehiveRef": event.voicehive_ref}},
    }


def _error(response: httpx.Response, what: str) -> ProviderError:
    status = response.status_code
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    reasons = {e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)}
    message = f"Google {what} answered {status}"
    if error.get("message"):
        message += f": {error['message']}"
    transient = (
        status == 429
        or status >= 500
        or (status == 403 and reasons & RATE_LIMIT_REASONS)
    )
    return ProviderError(
        message,
        transient=bool(transient),
        retry_after=tokens.retry_after(response) if transient else None,
        status=status,
    )


def _cal(calendar) -> str:
    return f"/calendars/{quote(calendar.remote_id, safe='')}"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


def _midnight(day: str, tz) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=tz)
