"""Microsoft Graph event shapes to and from the contract's values (see microsoft.py).

Times are exchanged in UTC (the adapter sends Prefer: outlook.timezone="UTC").
"""

import datetime as dt

from apps.calendars.providers.base import RemoteEvent

# Our own GUID namespace for the extended property that carries voicehive_ref.
REF_PROPERTY = "String {6f1c0b4e-3d5a-4c1e-9a57-5b0e6d2f7a31} Name voicehiveRef"
NOT_BLOCKING = {"free", "workingElsewhere"}


def to_remote_event(item: dict, tz) -> RemoteEvent:
    """One Graph event (an occurrence, exception or single instance)."""
    all_day = bool(item.get("isAllDay"))
    if all_day:
        starts_at = _day_start(item["start"], tz)
        ends_at = _day_start(item["end"], tz)
        if ends_at <= starts_at:
            ends_at = starts_at + dt.timedelta(days=1)
    else:
        starts_at, ends_at = when(item["start"]), when(item["end"])
    response = (item.get("responseStatus") or {}).get("response")
    ref = item.get("transactionId") or ""
    for prop in item.get("singleValueExtendedProperties") or []:
        if prop.get("id", "").lower() == REF_PROPERTY.lower():
            ref = prop.get("value", "")
    return RemoteEvent(
        remote_id=item["id"],
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        blocks_time=not (
            item.get("isCancelled")
            or item.get("showAs") in NOT_BLOCKING
            or response == "declined"
        ),
        voicehive_ref=ref if ref.startswith("voicehive-") else "",
        etag=item.get("@odata.etag", ""),
    )


def body(event) -> dict:
    return {
        "subject": event.summary,
        "body": {"contentType": "text", "content": event.description},
        "start": {"dateTime": naive(event.starts_at), "timeZone": "UTC"},
        "end": {"dateTime": naive(event.ends_at), "timeZone": "UTC"},
        "location": {"displayName": event.location},
        "showAs": "busy",
    }


def when(value: dict) -> dt.datetime:
    """A Graph dateTimeTimeZone asked for in UTC (7 fractional digits)."""
    parsed = dt.datetime.fromisoformat(value["dateTime"][:26])
    return parsed.replace(tzinfo=dt.UTC)


def _day_start(value: dict, tz) -> dt.datetime:
    """All-day events are floating dates: that date's midnight in the business's
    zone. Graph sends them at midnight; a converted time rounds to the nearest day."""
    parsed = dt.datetime.fromisoformat(value["dateTime"][:26])
    if parsed.time() == dt.time():
        day = parsed.date()
    else:
        day = (
            parsed.replace(tzinfo=dt.UTC).astimezone(tz) + dt.timedelta(hours=12)
        ).date()
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def naive(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value[:19]).replace(tzinfo=dt.UTC)
