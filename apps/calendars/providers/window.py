"""The sync window of every calendar provider.

Each lists a window (Google's timeMin/timeMax, Microsoft's calendarView, a CalDAV
time-range query with its recurrences expanded) once and then follows changes
with a token that keeps that first window. So the stored token carries the date
of its full listing ("<date>|<token>") and a day later a full listing starts
again, sliding the window forward; and events a change moved out of the window
are removed rather than stored.
"""

import datetime as dt

from apps.calendars.providers.base import SyncPage

FULL_SYNC_EVERY = dt.timedelta(days=1)


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def incremental_token(stored: str) -> tuple[str, str]:
    """(token, date of its full listing); token "" when a full listing is due."""
    full_on, _, token = (stored or "").partition("|")
    try:
        listed = dt.date.fromisoformat(full_on)
    except ValueError:
        return "", ""
    if listed + FULL_SYNC_EVERY <= dt.date.fromisoformat(today()):
        return "", full_on
    return token, full_on


def within(page: SyncPage, start, end, full_on: str) -> SyncPage:
    """`page` kept to [start, end), with its token stored as "<full_on>|<token>"."""
    inside, removed = [], list(page.removed_ids)
    for event in page.events:
        if event.ends_at > start and event.starts_at < end:
            inside.append(event)
        elif not page.full:
            removed.append(event.remote_id)
    token = f"{full_on}|{page.next_sync_token}" if page.next_sync_token else ""
    return SyncPage(
        events=inside, removed_ids=removed, next_sync_token=token, full=page.full
    )
