"""Turn a notification kind and a plain context dict into subject, bodies and attachments.

Templates live in templates/notifications/: `<kind>.subject.txt`, `<kind>.txt` and
`<kind>.html` for email, `<kind>.sms.txt` for SMS. Datetimes in the context must be
aware; they are shown in the business's time zone.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

import icalendar
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from apps.notifications.models import STAFF_INVITE, Notification

EMAIL = "email"
SMS = "sms"

# Which channels each kind may use: staff alerts, messages to callers, then accounts.
KIND_CHANNELS: dict[str, frozenset[str]] = {
    "new_lead": frozenset({EMAIL, SMS}),
    "new_booking": frozenset({EMAIL, SMS}),
    "cancellation": frozenset({EMAIL, SMS}),
    "appointment_moved": frozenset({EMAIL, SMS}),
    "callback_request": frozenset({EMAIL, SMS}),
    "urgent_follow_up": frozenset({EMAIL, SMS}),
    "missed_call": frozenset({EMAIL, SMS}),
    "daily_digest": frozenset({EMAIL}),
    "booking_confirmation": frozenset({EMAIL, SMS}),
    "reschedule_notice": frozenset({EMAIL, SMS}),
    "cancellation_notice": frozenset({EMAIL, SMS}),
    "appointment_reminder": frozenset({EMAIL, SMS}),
    STAFF_INVITE: frozenset({EMAIL}),
}
# Caller emails that carry a calendar invite. All share the appointment's UID, so a
# reschedule's invite moves the event and a cancellation's takes it off the calendar.
INVITE_KINDS = frozenset(
    {"booking_confirmation", "reschedule_notice", "cancellation_notice"}
)
CANCELLING_INVITE_KINDS = frozenset({"cancellation_notice"})

SUBJECT_MAX_LENGTH = 200  # Notification.subject
SMS_MAX_LENGTH = 640  # four GSM segments; Twilio's hard cap is 1,600


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    html_body: str = ""
    attachments: list[dict] = field(default_factory=list)


def render_message(
    kind: str,
    *,
    channel: str,
    context: dict,
    tz: dt.tzinfo,
    invite_uid: str = "",
) -> RenderedMessage:
    """Render one message; ValueError for a kind/channel pair that has no templates."""
    if channel not in KIND_CHANNELS.get(kind, ()):
        raise ValueError(f"No {channel!r} templates for notification kind {kind!r}")
    with timezone.override(tz):
        if channel == SMS:
            body = _squash(render_to_string(f"notifications/{kind}.sms.txt", context))
            return RenderedMessage(subject="", body=body[:SMS_MAX_LENGTH])
        subject = " ".join(
            render_to_string(f"notifications/{kind}.subject.txt", context).split()
        )
        body = _tidy(render_to_string(f"notifications/{kind}.txt", context))
        html_body = render_to_string(f"notifications/{kind}.html", context)
    attachments = []
    if kind in INVITE_KINDS:
        attachments.append(
            _invite_attachment(
                context,
                uid=invite_uid,
                cancelled=kind in CANCELLING_INVITE_KINDS,
                tz=tz,
            )
        )
    return RenderedMessage(
        subject=subject[:SUBJECT_MAX_LENGTH],
        body=body,
        html_body=html_body,
        attachments=attachments,
    )


def build_invite(
    *,
    uid: str,
    start_at: dt.datetime,
    end_at: dt.datetime,
    summary: str,
    tz: dt.tzinfo | None = None,
    location: str = "",
    description: str = "",
    sequence: int = 0,
    cancelled: bool = False,
    organizer: str = "",
    attendee: str = "",
) -> str:
    """An iCalendar (.ics) text with one event; no RSVP asked.

    Times are written in `tz` (the business's zone: DTSTART;TZID=... with a VTIMEZONE
    built from the zoneinfo data, so calendar clients place it right across DST
    changes), or in UTC without one. METHOD:PUBLISH adds or (with a higher
    `sequence`, a small per-appointment counter) updates the event of that `uid`;
    `cancelled` makes it METHOD:CANCEL with STATUS:CANCELLED, which removes it.
    `organizer` ("Name <address>") is required by RFC 5546 for both methods: some
    calendar clients ignore an update or a cancellation without one. `attendee`
    ("Name <address>"), the customer, files the event as theirs.
    """
    if timezone.is_naive(start_at) or timezone.is_naive(end_at):
        raise ValueError("Invites need timezone-aware times")
    if not 0 <= sequence < 2**31:
        raise ValueError("SEQUENCE is an iCalendar INTEGER (RFC 5545 3.3.8)")
    zone = tz or dt.UTC
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//VoiceHive//Roxy//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", start_at.astimezone(zone))
    event.add("dtend", end_at.astimezone(zone))
    event.add("summary", summary)
    event.add("sequence", sequence)
    if organizer:
        event.add("organizer", *_address(organizer))
    if attendee:
        name, address = parseaddr(attendee)
        params = {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"}
        event.add("attendee", f"mailto:{address}", parameters=_with_cn(params, name))
    if cancelled:
        event.add("status", "CANCELLED")
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    calendar.add_component(event)
    if zone is not dt.UTC:
        calendar.add_missing_timezones()  # VTIMEZONE for each TZID used
    return calendar.to_ical().decode()


def _address(person: str) -> tuple[str, dict | None]:
    name, address = parseaddr(person)
    return f"mailto:{address}", _with_cn({}, name) or None


def _with_cn(params: dict, name: str) -> dict:
    return {"CN": name, **params} if name else params


def invite_sequence(appointment) -> int:
    """SEQUENCE for the next invite about an appointment: how many invite emails it
    has had (0 for the booking, then 1, 2, ...). Small and increasing, unlike a
    timestamp, which overflows the iCalendar INTEGER in 2038."""
    return Notification.objects.filter(
        appointment=appointment, channel=EMAIL, kind__in=INVITE_KINDS
    ).count()


def _invite_attachment(
    context: dict, *, uid: str, cancelled: bool, tz: dt.tzinfo
) -> dict:
    start_at, end_at = context.get("start_at"), context.get("end_at")
    if not isinstance(start_at, dt.datetime) or not isinstance(end_at, dt.datetime):
        raise ValueError("Invites need aware datetimes start_at and end_at in context")
    if not uid:
        raise ValueError("Invites need a stable uid so updates replace the event")
    what = context.get("service_name") or "Appointment"
    business_name = context.get("business_name", "")
    email = context.get("customer_email", "")
    ics = build_invite(
        uid=uid,
        start_at=start_at,
        end_at=end_at,
        summary=f"{what} at {business_name}" if business_name else what,
        tz=tz,
        location=context.get("business_address", ""),
        description=_invite_description(context),
        sequence=int(context.get("invite_sequence", 0)),
        cancelled=cancelled,
        organizer=_organizer(business_name),
        attendee=formataddr((context.get("customer_name", ""), email)) if email else "",
    )
    return {"filename": "invite.ics", "content": ics, "mimetype": "text/calendar"}


def _organizer(business_name: str) -> str:
    """The business by name, at the address the invite is mailed from."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((business_name, address)) if address else ""


def _invite_description(context: dict) -> str:
    lines = []
    if context.get("provider_name"):
        lines.append(f"With {context['provider_name']}.")
    if context.get("business_phone"):
        lines.append(f"Questions or changes: call {context['business_phone']}.")
    return " ".join(lines)


def _tidy(text: str) -> str:
    """Template tags leave blank runs behind; keep at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _squash(text: str) -> str:
    return " ".join(text.split())
