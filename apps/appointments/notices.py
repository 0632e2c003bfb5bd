"""Messages about appointments: the caller's confirmations, notices and reminders, and
the staff's booking, move and cancellation alerts.

Called inside the booking services' transactions, so each notification row commits
(or rolls back) with the appointment change; delivery is rung on commit. Callers are
written to only with their lead's consent, and only at the lead's own phone and email.
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.core.links import absolute_url
from apps.core.phones import format_phone
from apps.notifications import rendering as notification_rendering
from apps.notifications import services as notification_services
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)

EMAIL = Notification.Channel.EMAIL
SMS = Notification.Channel.SMS
REMINDER = "appointment_reminder"
# Caller messages that describe a time; once the time changes, queued ones are stale.
TIMED_CALLER_KINDS = ("booking_confirmation", "reschedule_notice", REMINDER)


def queue_booking_notices(appointment: Appointment) -> list[Notification]:
    """The caller's confirmation (email with an invite, SMS) and, when Roxy booked it,
    the staff's new-booking alert. Nothing for appointments already started."""
    if appointment.start_at <= timezone.now():
        return []
    key = f"appointment:{appointment.pk}"
    to_caller = _queue_for_caller(
        appointment,
        kind="booking_confirmation",
        key=f"booking_confirmation:{key}",
        sms_deadline=appointment.start_at,
    )
    to_staff = []
    if appointment.source_call_id:  # staff booking in the admin know already
        to_staff = notification_services.notify_staff(
            appointment.business,
            kind="new_booking",
            context=_staff_context(appointment),
            dedupe_key=f"new_booking:{key}",
            lead=appointment.lead,
            appointment=appointment,
            call=appointment.source_call,
        )
    _stand_in_for_reminder(appointment, to_caller)
    return to_caller + to_staff


def queue_reschedule_notices(
    appointment: Appointment,
    *,
    previous_start_at: dt.datetime,
    alert_staff: bool = True,
) -> list[Notification]:
    """Withdraw the caller's queued messages about the old time, then tell the caller
    (email with an invite that replaces the old event, SMS) and, unless staff made
    the move themselves, alert staff. Idempotent per move; staff hear once per new
    time and provider."""
    withdraw_stale_caller_notices(appointment)
    if appointment.start_at <= timezone.now():
        return []
    changed_at = appointment.updated_at
    to_caller = _queue_for_caller(
        appointment,
        kind="reschedule_notice",
        key=f"reschedule_notice:appointment:{appointment.pk}:{changed_at.timestamp()}",
        extra={
            "previous_start_at": previous_start_at,
            "invite_sequence": _invite_sequence(appointment),
        },
        sms_deadline=appointment.start_at,
    )
    # A redelivered move finds its key taken.
    to_staff = []
    if alert_staff:
        to_staff = notification_services.notify_staff(
            appointment.business,
            kind="appointment_moved",
            context={
                **_staff_context(appointment),
                "previous_start_at": previous_start_at,
            },
            dedupe_key=f"appointment_moved:{_slot_key(appointment)}",
            lead=appointment.lead,
            appointment=appointment,
        )
    _stand_in_for_reminder(appointment, to_caller)
    return to_caller + to_staff


def queue_cancellation_notices(
    appointment: Appointment, *, reason: str = "", alert_staff: bool = True
) -> list[Notification]:
    """Withdraw the caller's queued confirmations and reminders, tell the caller (if the
    visit was still ahead) and, unless staff cancelled it themselves, alert staff.
    Idempotent per appointment."""
    withdraw_stale_caller_notices(appointment)
    if appointment.start_at <= timezone.now():
        return []
    key = f"appointment:{appointment.pk}"
    notifications = _queue_for_caller(
        appointment,
        kind="cancellation_notice",
        key=f"cancellation_notice:{key}",
        extra={"invite_sequence": _invite_sequence(appointment)},
    )
    if alert_staff:
        notifications += notification_services.notify_staff(
            appointment.business,
            kind="cancellation",
            context={**_staff_context(appointment), "reason": reason.strip()},
            dedupe_key=f"cancellation:{key}",
            lead=appointment.lead,
            appointment=appointment,
        )
    return notifications


def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue a reminder for each active appointment starting within its business's
    reminder lead time (elapsed hours) that has had none, and stamp
    `reminder_sent_at`. Returns how many appointments were handled. Also withdraws
    queued reminders that went stale."""
    now = now or timezone.now()
    withdrawn = _withdraw_stale_reminders()
    if withdrawn:
        logger.info("Withdrew %s stale reminders", withdrawn)
    handled = 0
    for appointment_id in due_for_reminder(now).values_list("id", flat=True):
        handled += queue_reminder(appointment_id, now=now)
    return handled


def due_for_reminder(now: dt.datetime) -> QuerySet[Appointment]:
    """Active appointments starting within their business's reminder lead time
    (`Business.reminder_lead_hours`) with no reminder yet."""
    # One condition per lead time in use (a handful), so the filter stays one
    # indexed query on any database, without interval arithmetic in SQL.
    leads = Business.objects.values_list("reminder_lead_hours", flat=True).distinct()
    within_lead = Q(pk__in=[])
    for hours in leads:
        within_lead |= Q(
            business__reminder_lead_hours=hours,
            start_at__lte=now + dt.timedelta(hours=hours),
        )
    return (
        Appointment.objects.active()
        .filter(within_lead, start_at__gt=now, reminder_sent_at__isnull=True)
        .order_by("start_at")
    )


@transaction.atomic
def queue_reminder(appointment_id: int, *, now: dt.datetime) -> bool:
    """Queue one appointment's reminder and stamp it; False if it no longer needs one."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("business", "service", "provider", "lead")
        .filter(pk=appointment_id, reminder_sent_at__isnull=True, start_at__gt=now)
        .active()
        .first()
    )
    if appointment is None:
        return False  # reminded, moved past, or cancelled since the query
    _queue_for_caller(
        appointment,
        kind=REMINDER,
        key=reminder_key(appointment),
        sms_deadline=appointment.start_at,
    )
    appointment.reminder_sent_at = now
    appointment.save(update_fields=["reminder_sent_at", "updated_at"])
    return True


def reminder_key(appointment: Appointment) -> str:
    """Per appointment and start time: a moved appointment gets a new reminder."""
    start = _utc_stamp(appointment.start_at)
    return f"{REMINDER}:appointment:{appointment.pk}:{start}"


def withdraw_stale_caller_notices(appointment: Appointment) -> int:
    """Delete the caller's not-yet-sent messages about this appointment's old time, so
    a message deferred by quiet hours never announces a time that no longer holds."""
    stale = Notification.objects.queued().filter(
        appointment=appointment, kind__in=TIMED_CALLER_KINDS
    )
    withdrawn, _ = stale.delete()
    if withdrawn:
        logger.info(
            "Withdrew %s queued messages about appointment %s",
            withdrawn,
            appointment.pk,
        )
    return withdrawn


def _withdraw_stale_reminders() -> int:
    """Queued reminders whose appointment was cancelled or moved by any path."""
    queued = Notification.objects.queued().filter(kind=REMINDER)
    stale = [
        n.pk
        for n in queued.select_related("appointment")
        if n.appointment is None
        or not n.appointment.is_active
        or not n.dedupe_key.startswith(f"{reminder_key(n.appointment)}:")
    ]
    withdrawn, _ = Notification.objects.queued().filter(pk__in=stale).delete()
    return withdrawn


def _reminder_horizon(business: Business, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(hours=business.reminder_lead_hours)


def _stand_in_for_reminder(
    appointment: Appointment, caller_messages: list[Notification]
) -> None:
    """A confirmation or move notice sent inside the reminder window is the reminder:
    stamp it so the sweep doesn't tell the caller the same thing minutes later.

    Called last, in the notices' savepoint: if any message fails to queue, nothing
    is stamped and the sweep's reminder still goes.
    """
    now = timezone.now()
    if not caller_messages or appointment.start_at > _reminder_horizon(
        appointment.business, now
    ):
        return
    appointment.reminder_sent_at = now
    appointment.save(update_fields=["reminder_sent_at", "updated_at"])


def _invite_sequence(appointment: Appointment) -> int:
    """SEQUENCE for an invite replacing or cancelling the first (which has 0): one
    more for every invite email the appointment has had (#17: small, increasing)."""
    return notification_rendering.invite_sequence(appointment)


def _slot_key(appointment: Appointment) -> str:
    start = _utc_stamp(appointment.start_at)
    return f"appointment:{appointment.pk}:{start}:provider:{appointment.provider_id}"


def _utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _queue_for_caller(
    appointment: Appointment,
    *,
    kind: str,
    key: str,
    extra: dict | None = None,
    sms_deadline: dt.datetime | None = None,
) -> list[Notification]:
    """Email and SMS to the lead, each only with consent; SMS waits out quiet hours,
    and is dropped if that would take it past `sms_deadline`."""
    lead = appointment.lead
    if lead is None:
        return []
    # customer_email: the invite's ATTENDEE (#17).
    context = {
        **_caller_context(appointment),
        "customer_email": lead.email,
        **(extra or {}),
    }
    sends = []
    if lead.has_email_consent and lead.email:
        sends.append((EMAIL, lead.email))
    if (
        lead.has_sms_consent
        and lead.phone
        and not _held_past(appointment, sms_deadline)
    ):
        sends.append((SMS, lead.phone))
    language = caller_language(appointment)
    return [
        notification_services.queue_notification(
            appointment.business,
            channel=channel,
            kind=kind,
            recipient=recipient,
            context=context,
            dedupe_key=f"{key}:{channel}",
            lead=lead,
            appointment=appointment,
            respect_quiet_hours=channel == SMS,
            language=language,
        )
        for channel, recipient in sends
    ]


def caller_language(appointment: Appointment) -> str:
    """What the caller's messages are written in (issue #16): the language of the
    call that booked, when the business speaks it; else the business's default."""
    call = appointment.source_call if appointment.source_call_id else None
    return appointment.business.language_for(getattr(call, "language", ""))


def _held_past(appointment: Appointment, deadline: dt.datetime | None) -> bool:
    if deadline is None:
        return False
    now = timezone.now()
    send_at = notification_services.next_allowed_send_time(
        now,
        appointment.business.tzinfo,
        quiet=notification_services.quiet_hours(appointment.business),
    )
    return send_at >= deadline


def _caller_context(appointment: Appointment) -> dict:
    return {
        "customer_name": appointment.lead.name if appointment.lead else "",
        "service_name": appointment.service.name,
        "provider_name": appointment.provider.name,
        "start_at": appointment.start_at,
        "end_at": appointment.end_at,
    }


def _staff_context(appointment: Appointment) -> dict:
    lead = appointment.lead
    return {
        **_caller_context(appointment),
        "customer_phone": format_phone(lead.phone) if lead and lead.phone else "",
        "notes": appointment.notes,
        "admin_url": absolute_url(
            "admin:appointments_appointment_change", appointment.pk
        ),
    }
