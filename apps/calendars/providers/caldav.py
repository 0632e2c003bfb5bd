"""CalDAV (RFC 4791, sync-collection RFC 6578): iCloud, Fastmail, Nextcloud, Radicale...

Plain httpx plus icalendar and recurring-ical-events rather than the `caldav`
package: the project already speaks httpx (timeouts, respx in tests), the five
requests we need are short, and owning them lets errors map exactly onto the
contract's ProviderError / GrantRevoked. recurring-ical-events expands RRULE,
RDATE, EXDATE and moved occurrences (RECURRENCE-ID) correctly across DST.

Ids: a calendar's remote_id is its collection URL; an event's is its resource path
(unquoted), with "#<occurrence start>" added for each occurrence of a recurring
event. VoiceHive's events live at <collection>/<voicehive_ref>.ics with that UID,
so creating one twice writes the same resource.
"""

import datetime as dt
import functools
import ssl
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from django.conf import settings

from apps.calendars.providers import window
from apps.calendars.providers.base import (
    GrantRevoked,
    ProviderError,
    RemoteCalendar,
    RemoteEvent,
    SyncPage,
    WrittenEvent,
)
from apps.calendars.providers.ical import occurrences, to_ical

NS = {
    "d": "DAV:",
    "c": "urn:ietf:params:xml:ns:caldav",
    "cs": "http://calendarserver.org/ns/",
}


def _xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


class CalDAVAdapter:
    kind = "caldav"

    # --- HTTP ---

    def _client(self, connection, timeout: float | None = None) -> httpx.Client:
        secret = connection.credentials()
        return httpx.Client(
            verify=_ssl_context(),
            auth=httpx.BasicAuth(connection.account, secret.get("password", "")),
            timeout=timeout or settings.CALENDAR_HTTP_TIMEOUT_SECONDS,
            headers={"User-Agent": "VoiceHive-Calendars/1"},
            follow_redirects=True,
        )

    def _request(self, client, method, url, *, body=None, headers=None, ok=(200, 207)):
        try:
            response = client.request(method, url, content=body, headers=headers or {})
        except httpx.TimeoutException as exc:
            raise ProviderError(
                f"CalDAV server timed out: {exc}", transient=True
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"CalDAV server unreachable: {exc}", transient=True
            ) from exc
        if response.status_code in ok:
            return response
        raise _error(response, method)

    # --- discovery ---

    def list_calendars(self, connection) -> list[RemoteCalendar]:
        with self._client(connection) as client:
            home = self._calendar_home(client, connection.server_url)
            response = self._request(
                client,
                "PROPFIND",
                home,
                headers={"Depth": "1", "Content-Type": "application/xml"},
                body=_xml(
                    '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                    "<d:prop><d:resourcetype/><d:displayname/><d:current-user-privilege-set/>"
                    "<c:supported-calendar-component-set/></d:prop></d:propfind>"
                ),
            )
        calendars = []
        for href, prop in _responses(response):
            if prop.find("d:resourcetype/c:calendar", NS) is None:
                continue
            components = prop.findall("c:supported-calendar-component-set/c:comp", NS)
            if components and "VEVENT" not in {c.get("name") for c in components}:
                continue  # a tasks-only list
            privileges = prop.find("d:current-user-privilege-set", NS)
            can_write = privileges is None or any(
                privileges.find(f"d:privilege/d:{name}", NS) is not None
                for name in ("write", "write-content", "all")
            )
            name = (prop.findtext("d:displayname", "", NS) or "").strip()
            calendars.append(
                RemoteCalendar(
                    remote_id=urljoin(home, href),
                    name=name or href.rstrip("/").rsplit("/", 1)[-1],
                    is_primary=not calendars,
                    can_write=can_write,
                )
            )
        return calendars

    def _calendar_home(self, client, url: str) -> str:
        principal = self._href_prop(client, url, "d:current-user-principal")
        if principal is None:
            return url
        home = self._href_prop(client, urljoin(url, principal), "c:calendar-home-set")
        return urljoin(url, home) if home else url

    def _href_prop(self, client, url: str, prop: str) -> str | None:
        prefix, name = prop.split(":")
        response = self._request(
            client,
            "PROPFIND",
            url,
            headers={"Depth": "0", "Content-Type": "application/xml"},
            body=_xml(
                f'<d:propfind xmlns:d="DAV:" xmlns:c="{NS["c"]}">'
                f"<d:prop><{prop}/></d:prop></d:propfind>"
            ),
        )
        for _, found in _responses(response):
            href = found.find(f"{prefix}:{name}/d:href", NS)
            if href is not None and href.text:
                return href.text.strip()
        return None

    # --- reading ---

    def sync(self, connection, calendar, *, window_start, window_end) -> SyncPage:
        tz = connection.business.tzinfo
        token, full_on = window.incremental_token(calendar.sync_token)
        with self._client(connection) as client:
            if token:
                page = self._incremental(
                    client, calendar, token, tz, window_start, window_end
                )
                if page is not None:
                    return window.within(page, window_start, window_end, full_on)
            token = self._current_token(client, calendar.remote_id)
            events = self._query(
                client, calendar.remote_id, tz, window_start, window_end
            )
        page = SyncPage(events=events, next_sync_token=token, full=True)
        return window.within(page, window_start, window_end, window.today())

    def _current_token(self, client, url: str) -> str:
        response = self._request(
            client,
            "PROPFIND",
            url,
            headers={"Depth": "0", "Content-Type": "application/xml"},
            body=_xml(
                '<d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>'
            ),
        )
        for _, prop in _responses(response):
            return (prop.findtext("d:sync-token", "", NS) or "").strip()
        return ""

    def _query(self, client, url, tz, start, end) -> list[RemoteEvent]:
        response = self._request(
            client,
            "REPORT",
            url,
            headers={"Depth": "1", "Content-Type": "application/xml"},
            body=_xml(
                f'<c:calendar-query xmlns:d="DAV:" xmlns:c="{NS["c"]}">'
                "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
                '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
                f'<c:time-range start="{_stamp(start)}" end="{_stamp(end)}"/>'
                "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
            ),
        )
        return _events(response, tz, start, end)

    def _incremental(self, client, calendar, token, tz, start, end) -> SyncPage | None:
        """Changes since `token`, or None when the server no longer knows it."""
        try:
            response = self._request(
                client,
                "REPORT",
                calendar.remote_id,
                headers={"Content-Type": "application/xml"},
                body=_xml(
                    '<d:sync-collection xmlns:d="DAV:">'
                    f"<d:sync-token>{_escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
                    "<d:prop><d:getetag/></d:prop></d:sync-collection>"
                ),
            )
        except ProviderError as exc:
            if exc.status in (403, 409, 412):  # valid-sync-token precondition failed
                return None
            raise
        root = ET.fromstring(response.content)
        changed, removed = [], []
        for node in root.findall("d:response", NS):
            href = _path(node.findtext("d:href", "", NS))
            status = node.findtext("d:status", "", NS) or ""
            if " 404 " in status or " 410 " in status:
                removed.append(href)
            elif not href.endswith("/"):
                changed.append(href)
        new_token = (root.findtext("d:sync-token", "", NS) or "").strip()
        events = []
        if changed:
            events = self._multiget(client, calendar.remote_id, changed, tz, start, end)
        # A changed resource replaces all its stored occurrences: removing its href
        # clears "<href>#..." too (sync.apply_page), then its events come back.
        return SyncPage(
            events=events, removed_ids=removed + changed, next_sync_token=new_token
        )

    def _multiget(self, client, url, hrefs, tz, start, end) -> list[RemoteEvent]:
        body = "".join(f"<d:href>{_escape(h)}</d:href>" for h in hrefs)
        response = self._request(
            client,
            "REPORT",
            url,
            headers={"Depth": "1", "Content-Type": "application/xml"},
            body=_xml(
                f'<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{NS["c"]}">'
                f"<d:prop><d:getetag/><c:calendar-data/></d:prop>{body}</c:calendar-multiget>"
            ),
        )
        return _events(response, tz, start, end)

    def free_busy(self, connection, calendars, start, end, *, timeout: float):
        tz = connection.business.tzinfo
        busy = []
        with self._client(connection, timeout=timeout) as client:
            for calendar in calendars:
                for event in self._query(client, calendar.remote_id, tz, start, end):
                    if event.blocks_time:
                        busy.append((event.starts_at, event.ends_at))
        return busy

    # --- writing ---

    def create_event(self, connection, calendar, event) -> WrittenEvent:
        url = urljoin(
            calendar.remote_id.rstrip("/") + "/", f"{event.voicehive_ref}.ics"
        )
        return self._put(connection, url, event)

    def update_event(self, connection, calendar, remote_id, event) -> WrittenEvent:
        return self._put(connection, urljoin(calendar.remote_id, remote_id), event)

    def _put(self, connection, url, event) -> WrittenEvent:
        # Unconditional PUT to the appointment's own resource: a retry overwrites it.
        with self._client(connection) as client:
            response = self._request(
                client,
                "PUT",
                url,
                body=to_ical(event),
                headers={"Content-Type": "text/calendar; charset=utf-8"},
                ok=(200, 201, 204),
            )
        return WrittenEvent(remote_id=_path(url), etag=response.headers.get("ETag", ""))

    def delete_event(self, connection, calendar, remote_id) -> None:
        with self._client(connection) as client:
            self._request(
                client,
                "DELETE",
                urljoin(calendar.remote_id, remote_id),
                ok=(200, 204, 404, 410),
            )

    def watch(self, connection, calendar):
        return (
            None  # CalDAV has no push; the schedule's incremental sync keeps it fresh
        )

    def stop_watch(self, connection, calendar) -> None:
        return None

    def revoke(self, connection) -> None:
        return (
            None  # app passwords are revoked at the provider (e.g. appleid.apple.com)
        )


def _responses(response):
    root = ET.fromstring(response.content)
    for node in root.findall("d:response", NS):
        href = node.findtext("d:href", "", NS)
        for propstat in node.findall("d:propstat", NS):
            if " 200 " in (propstat.findtext("d:status", "", NS) or ""):
                prop = propstat.find("d:prop", NS)
                if prop is not None:
                    yield href, prop


def _error(response: httpx.Response, method: str) -> ProviderError:
    status = response.status_code
    message = f"CalDAV {method} answered {status}"
    if status == 401:
        return GrantRevoked(
            f"{message}: the user name or app password was refused", status=status
        )
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After", "")
        return ProviderError(
            message,
            transient=True,
            retry_after=float(retry_after) if retry_after.isdigit() else None,
            status=status,
        )
    return ProviderError(message, status=status)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Building one loads the CA bundle (~0.2 s): once per process, not per request.
    return httpx.create_ssl_context()


def _events(response, tz, start, end) -> list[RemoteEvent]:
    """The occurrences in [start, end) of every resource a REPORT returned."""
    events = []
    for href, prop in _responses(response):
        data = prop.findtext("c:calendar-data", "", NS)
        if data:
            etag = prop.findtext("d:getetag", "", NS)
            events.extend(occurrences(_path(href), data, tz, start, end, etag=etag))
    return events


def _path(href: str) -> str:
    return unquote(urlsplit(href).path)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
