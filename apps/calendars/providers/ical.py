"""iCalendar both ways: occurrences of stored events as RemoteEvents (recurrences
expanded, all-day and floating times in the business's zone), and VoiceHive's
appointments as VEVENTs."""

import datetime as dt

import icalendar
import recurring_ical_events

from apps.calendars.providers.base import RemoteEvent

REF_PROPERTY = "X-VOICEHIVE-APPOINTMENT"


def occurrences(href, data, tz, start, end, *, etag="") -> list[RemoteEvent]:
    """One RemoteEvent per occurrence of the resource's VEVENTs within [start, end)."""
    calendar = icalendar.Calendar.from_ical(data)
    masters = [c for c in calendar.walk("VEVENT")]
    recurring = any(
        "RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c for c in masters
    )
    found = []
    for component in recurring_ical_events.of(calendar).between(start, end):
        begin, finish, all_day = _span(component, tz)
        if finish <= start or begin >= end:
            continue
        remote_id = f"{href}#{begin.isoformat()}" if recurring else href
        status = str(component.get("STATUS", "")).upper()
        transparent = str(component.get("TRANSP", "")).upper() == "TRANSPARENT"
        found.append(
            RemoteEvent(
                remote_id=remote_id,
                starts_at=begin,
                ends_at=finish,
                all_day=all_day,
                blocks_time=not transparent and status != "CANCELLED",
                voicehive_ref=str(component.get(REF_PROPERTY, "")),
                etag=etag.strip('"'),
            )
        )
    return found


def _span(component, tz) -> tuple[dt.datetime, dt.datetime, bool]:
    begin = component.decoded("DTSTART")
    if "DTEND" in component:
        finish = component.decoded("DTEND")
    elif "DURATION" in component:
        finish = begin + component.decoded("DURATION")
    else:  # RFC 5545: a date lasts the day, a date-time is an instant
        finish = (
            begin + dt.timedelta(days=1)
            if not isinstance(begin, dt.datetime)
            else begin
        )
    all_day = not isinstance(begin, dt.datetime)
    return _instant(begin, tz), _instant(finish, tz), all_day


def _instant(value, tz) -> dt.datetime:
    """Dates are local midnights of the business (all-day events follow its zone,
    DST included); floating times are its wall clock; the rest are absolute."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC)


def to_ical(event) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//VoiceHive//Calendars//EN")
    cal.add("version", "2.0")
    vevent = icalendar.Event()
    vevent.add("uid", event.voicehive_ref)
    vevent.add("dtstamp", dt.datetime.now(dt.UTC))
    vevent.add("dtstart", event.starts_at.astimezone(dt.UTC))
    vevent.add("dtend", event.ends_at.astimezone(dt.UTC))
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    vevent.add(REF_PROPERTY, event.voicehive_ref)
    cal.add_component(vevent)
    return cal.to_ical()
