"""Texts we start (Roxy during a call, staff from a conversation), with a truthful
reason when one cannot go: no SMS provider, a landline, or a number that opted out.
They go through the same outbox rows, consent and quiet hours as every notification."""

import datetime as dt
from dataclasses import dataclass

import phonenumbers
from django.conf import settings

from apps.leads.models import Lead
from apps.notifications import consent
from apps.notifications import services as notification_services
from apps.notifications.channels import TWILIO_SETTINGS
from apps.notifications.models import Notification

CONSOLE_BACKEND = "apps.notifications.channels.ConsoleSmsBackend"
TWILIO_BACKEND = "apps.notifications.channels.TwilioSmsBackend"


@dataclass(frozen=True)
class TextResult:
    sent: bool
    reason: str = ""  # why not: no_provider | landline | opted_out
    notification: Notification | None = None

    @property
    def held_until(self) -> dt.datetime | None:
        """When quiet hours hold the text back, the moment it goes."""
        n = self.notification
        return n.send_after if n is not None and n.send_after else None


def sms_available() -> bool:
    """Whether texts really leave: a configured provider (the console only in DEBUG)."""
    backend = settings.SMS_BACKEND
    if backend == TWILIO_BACKEND:
        return all(getattr(settings, name) for name in TWILIO_SETTINGS)
    if backend == CONSOLE_BACKEND:
        return settings.DEBUG
    return True


def is_landline(phone: str) -> bool:
    """Only when phonenumbers knows it is one (most North American numbers it can't
    tell apart from mobiles, and those are tried)."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
    )


def send_text(
    business,
    phone: str,
    body: str,
    *,
    kind: str,
    dedupe_key: str,
    call=None,
    appointment=None,
    respect_quiet_hours: bool = True,
) -> TextResult:
    """Queue one text unless it cannot be delivered; say why not. Idempotent per key."""
    if not sms_available():
        return TextResult(False, "no_provider")
    if is_landline(phone):
        return TextResult(False, "landline")
    if consent.is_opted_out(business.pk, phone):
        return TextResult(False, "opted_out")
    notification = notification_services.queue_text(
        business,
        kind=kind,
        recipient=phone,
        body=body,
        dedupe_key=dedupe_key,
        lead=Lead.objects.filter(business=business, phone=phone).first(),
        appointment=appointment,
        call=call,
        respect_quiet_hours=respect_quiet_hours,
    )
    if notification.status == Notification.Status.FAILED:
        return TextResult(False, "invalid", notification)
    return TextResult(True, "", notification)
