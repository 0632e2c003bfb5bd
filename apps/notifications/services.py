"""Queue notifications: render once, store the row (the outbox), ring delivery on commit.

Consent given on the call is the caller's job: services that message callers
(booking confirmations, reminders) check the lead's `has_sms_consent` /
`has_email_consent` and don't call `queue_notification` without it. A number's
opt-out by text (STOP, apps.notifications.consent) is checked here for every text,
staff alerts included, and again at send time (delivery), so it holds even for
texts queued before it.
"""

import dataclasses
import datetime as dt
import hashlib
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from apps.core.phones import InvalidPhoneError, format_phone, normalize_phone
from apps.notifications import consent, delivery, rendering
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)

DEDUPE_KEY_MAX_LENGTH = Notification._meta.get_field("dedupe_key").max_length


def queue_notification(
    business,
    *,
    channel: str,
    kind: str,
    recipient: str,
    context: dict,
    dedupe_key: str,
    lead=None,
    appointment=None,
    call=None,
    send_after: dt.datetime | None = None,
    respect_quiet_hours: bool = False,
    language: str = "",
) -> Notification:
    """Render and store one message, then ring the delivery task on commit.

    `language` (the caller's call's, issue #16) translates the templates and
    formats; blank is English, as staff alerts are.

    Idempotent on `dedupe_key`: a second call returns the first row untouched. A bad
    recipient gives a FAILED row (visible in the admin) rather than an exception, so a
    caller's transaction never breaks on data from a phone call.

    The unique key alone finds a duplicate (the INSERT is refused): no SELECT before
    every new row, at the price of rendering a repeat for nothing.
    """
    with translation.override(language or "en"):
        message = _render(
            business, kind, channel, context, _invite_uid(appointment, dedupe_key)
        )
    return _queue_rendered(
        business,
        message,
        channel=channel,
        kind=kind,
        recipient=recipient,
        dedupe_key=dedupe_key,
        lead=lead,
        appointment=appointment,
        call=call,
        send_after=send_after,
        respect_quiet_hours=respect_quiet_hours,
        language=language,
    )


def _render(
    business, kind: str, channel: str, context: dict, invite_uid: str
) -> rendering.RenderedMessage:
    return rendering.render_message(
        kind,
        channel=channel,
        context={**business_context(business), **context},
        tz=business.tzinfo,
        invite_uid=invite_uid,
    )


def _queue_rendered(
    business,
    message: rendering.RenderedMessage,
    *,
    channel: str,
    kind: str,
    recipient: str,
    dedupe_key: str,
    lead,
    appointment,
    call,
    send_after: dt.datetime | None = None,
    respect_quiet_hours: bool = False,
    language: str = "",
) -> Notification:
    if respect_quiet_hours:
        now = timezone.now()
        send_after = next_allowed_send_time(
            max(send_after or now, now), business.tzinfo, quiet=quiet_hours(business)
        )
    recipient, recipient_error = _clean_recipient(channel, recipient)
    fields = dataclasses.asdict(message) | {
        "business": business,
        "channel": channel,
        "kind": kind,
        "recipient": recipient,
        "send_after": send_after,
        "lead": lead,
        "appointment": appointment,
        "call": call,
        "language": language,
    }
    return _create_once(dedupe_key, fields, recipient_error)


def notify_staff(
    business,
    *,
    kind: str,
    context: dict,
    dedupe_key: str,
    channels: tuple[str, ...] = (rendering.EMAIL, rendering.SMS),
    lead=None,
    appointment=None,
    call=None,
) -> list[Notification]:
    """Queue one alert per staff address and phone on the business. Idempotent per key.

    Channels the kind has no templates for are skipped (daily_digest is email only).
    Each channel's message is rendered once: it is the same for every staff member.
    """
    recipients = _staff_recipients(business)
    allowed = rendering.KIND_CHANNELS.get(kind, frozenset())
    uid = _invite_uid(appointment, dedupe_key)
    messages = {
        channel: _render(business, kind, channel, context, uid)
        for channel in channels
        if channel in allowed and recipients[channel]
    }
    return _queue_for_staff(
        business,
        messages,
        recipients,
        kind=kind,
        dedupe_key=dedupe_key,
        lead=lead,
        appointment=appointment,
        call=call,
    )


def _staff_recipients(business) -> dict[str, list[str]]:
    return {
        rendering.EMAIL: business.notification_email_list,
        rendering.SMS: business.notification_phone_list,
    }


def _queue_for_staff(
    business,
    messages: dict,
    recipients: dict[str, list[str]],
    *,
    kind: str,
    dedupe_key: str,
    lead,
    appointment,
    call,
) -> list[Notification]:
    """Each channel's one message to every staff recipient of that channel."""
    return [
        _queue_rendered(
            business,
            message,
            channel=channel,
            kind=kind,
            recipient=recipient,
            dedupe_key=_per_recipient_key(dedupe_key, channel, recipient),
            lead=lead,
            appointment=appointment,
            call=call,
        )
        for channel, message in messages.items()
        for recipient in recipients[channel]
    ]


def _per_recipient_key(dedupe_key: str, channel: str, recipient: str) -> str:
    key = f"{dedupe_key}:{channel}:{recipient}"
    if len(key) <= DEDUPE_KEY_MAX_LENGTH:
        return key
    digest = hashlib.sha256(recipient.encode()).hexdigest()[:16]
    return f"{dedupe_key}:{channel}:{digest}"


def business_context(business) -> dict:
    """What every template may use about the business; callers' context overrides it."""
    return {
        "business_name": business.name,
        "business_phone": format_phone(business.phone) if business.phone else "",
        "business_phone_e164": business.phone,
        "business_address": business.address,
        "business_website": business.website,
    }


def _invite_uid(appointment, dedupe_key: str) -> str:
    # One UID per appointment, so a reschedule's invite replaces the original event.
    if appointment is not None:
        return f"appointment-{appointment.pk}@voicehive"
    return f"{dedupe_key}@voicehive"


def _clean_recipient(channel: str, recipient: str) -> tuple[str, str]:
    recipient = (recipient or "").strip()
    try:
        if channel == rendering.SMS:
            return normalize_phone(recipient), ""
        validate_email(recipient)
    except (InvalidPhoneError, ValidationError):
        return recipient, f"Invalid {channel} recipient {recipient!r}"
    return recipient, ""


def _create_once(dedupe_key: str, fields: dict, recipient_error: str) -> Notification:
    now = timezone.now()
    deferred = fields["send_after"] is not None and fields["send_after"] > now
    if recipient_error:
        fields |= {"status": Notification.Status.FAILED, "last_error": recipient_error}
    elif not consent.may_text(
        business_id=fields["business"].pk,
        channel=fields["channel"],
        kind=fields["kind"],
        recipient=fields["recipient"],
    ):
        # Kept, visibly: staff see the text Roxy or a reminder would have sent.
        fields |= {
            "status": Notification.Status.SUPPRESSED,
            "last_error": consent.OPTED_OUT_REASON,
        }
    elif not deferred:
        fields["enqueued_at"] = now
    try:
        with transaction.atomic():
            notification = Notification.objects.create(dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        first = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if first is None:
            raise  # not a duplicate: some other constraint failed
        return first  # queued before, or by a concurrent caller just now
    if notification.enqueued_at is not None:
        transaction.on_commit(partial(delivery.enqueue_delivery, notification.id))
    return notification


def queue_text(
    business,
    *,
    kind: str,
    recipient: str,
    body: str,
    dedupe_key: str,
    lead=None,
    appointment=None,
    call=None,
    respect_quiet_hours: bool = False,
    language: str = "",
) -> Notification:
    """Queue one text whose body the caller wrote (two-way texting's replies, Roxy's
    texts during a call, staff's replies): the same row, consent and quiet hours as
    every other notification, without a template. Idempotent on `dedupe_key`."""
    message = rendering.RenderedMessage(
        subject="", body=" ".join(body.split())[: rendering.SMS_MAX_LENGTH]
    )
    return _queue_rendered(
        business,
        message,
        channel=rendering.SMS,
        kind=kind,
        recipient=recipient,
        dedupe_key=dedupe_key[:DEDUPE_KEY_MAX_LENGTH],
        lead=lead,
        appointment=appointment,
        call=call,
        respect_quiet_hours=respect_quiet_hours,
        language=language,
    )


def notify_staff_message(
    business, *, kind: str, subject: str, body: str, dedupe_key: str, lead=None
) -> list[Notification]:
    """Alert every staff address and phone with a message written by the caller
    (no template), e.g. a customer's text that needs a person. Idempotent per key."""
    messages = {
        rendering.EMAIL: rendering.RenderedMessage(subject=subject, body=body),
        rendering.SMS: rendering.RenderedMessage(subject="", body=body[:300]),
    }
    return _queue_for_staff(
        business,
        messages,
        _staff_recipients(business),
        kind=kind,
        dedupe_key=dedupe_key,
        lead=lead,
        appointment=None,
        call=None,
    )


def quiet_hours(business) -> tuple[dt.time, dt.time]:
    """The business's own quiet hours (issue #16); the settings' for anything else."""
    start = getattr(business, "quiet_hours_start", None)
    end = getattr(business, "quiet_hours_end", None)
    if start is None or end is None:
        return (
            dt.time.fromisoformat(settings.QUIET_HOURS_START),
            dt.time.fromisoformat(settings.QUIET_HOURS_END),
        )
    return start, end


def next_allowed_send_time(
    when: dt.datetime,
    tz: dt.tzinfo,
    *,
    quiet: tuple[dt.time, dt.time] | None = None,
) -> dt.datetime:
    """`when` if it falls outside quiet hours (`quiet`, default the settings') in `tz`,
    else the moment they end (UTC)."""
    start, end = quiet or quiet_hours(None)
    local = when.astimezone(tz)
    clock = local.time()
    if start == end:
        return when
    if start > end:  # the quiet spell spans midnight, e.g. 21:00-08:00
        if clock >= start:
            end_date = local.date() + dt.timedelta(days=1)
        elif clock < end:
            end_date = local.date()
        else:
            return when
    elif start <= clock < end:
        end_date = local.date()
    else:
        return when
    # Combine as wall-clock time in tz, so 08:00 stays 08:00 across a DST change.
    return dt.datetime.combine(end_date, end, tzinfo=tz).astimezone(dt.UTC)
