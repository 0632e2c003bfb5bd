"""Email and SMS senders. Each raises DeliveryError(permanent=...) so the caller knows
whether trying again could ever help."""

import hashlib
import logging
import smtplib
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Protocol

import httpx
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.module_loading import import_string

from apps.core import provider_health
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)

# 4xx answers that a later try may pass: timeout, conflict, too early, rate limit.
RETRYABLE_CLIENT_STATUSES = frozenset({408, 409, 425, 429})


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent  # permanent: bad recipient or request; else retry


def is_permanent_status(status_code: int | None) -> bool:
    """No status (connection error), 5xx and rate limits are worth retrying."""
    if status_code is None:
        return False
    return 400 <= status_code < 500 and status_code not in RETRYABLE_CLIENT_STATUSES


def provider_for(channel: str) -> str:
    """The provider_health name of the provider behind a channel."""
    return (
        provider_health.SMS
        if channel == Notification.Channel.SMS
        else (provider_health.EMAIL)
    )


def send(notification: Notification) -> str:
    """Send one Notification through its channel; return the provider's message id."""
    if notification.channel == Notification.Channel.EMAIL:
        return send_email(
            to=notification.recipient,
            subject=notification.subject,
            body=notification.body,
            html_body=notification.html_body,
            attachments=notification.attachments,
            from_name=notification.business.name,
            message_id=stable_message_id(notification),
            metadata={"notification_id": str(notification.id)},
        )
    if notification.channel == Notification.Channel.SMS:
        return send_sms(to=notification.recipient, body=notification.body)
    raise DeliveryError(f"Unknown channel {notification.channel!r}", permanent=True)


# --- Email (Django's mail API, so any anymail ESP, SMTP or the console) ---


def send_email(
    *,
    to: str,
    subject: str,
    body: str,
    html_body: str = "",
    attachments: Iterable[dict] = (),
    from_name: str = "",
    message_id: str = "",
    metadata: dict[str, str] | None = None,
) -> str:
    """Send one email to one address; return the ESP's message id ("" if it has none).

    `message_id` is sent as the Message-ID header: the same one on every try of a
    notification, so a copy sent again after a worker died is recognised as the same
    message by mail systems that deduplicate on it.
    """
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=_from_address(from_name),
        to=[to],
        headers={"Message-ID": message_id} if message_id else None,
    )
    if metadata:
        message.metadata = metadata  # anymail: shown in the ESP, sent back in events
    if html_body:
        message.attach_alternative(html_body, "text/html")
    for attachment in attachments:
        message.attach(
            attachment["filename"], attachment["content"], attachment["mimetype"]
        )
    try:
        message.send()
    except (AnymailError, smtplib.SMTPException, OSError) as exc:
        raise _classify_email_error(exc) from exc
    status = getattr(message, "anymail_status", None)  # only anymail backends set it
    if status is None or status.message_id is None:
        return ""
    return str(status.message_id)


def stable_message_id(notification: Notification) -> str:
    """<notification-ID.KEY@our domain>: one per notification, whatever the attempt."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    key = hashlib.sha256(notification.dedupe_key.encode()).hexdigest()[:16]
    return f"<notification-{notification.id}.{key}@{domain}>"


def _from_address(display_name: str) -> str:
    # Callers see the business's name; the address stays ours (SPF/DKIM are set up for it).
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    return formataddr((display_name, address)) if display_name else address


def _classify_email_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, AnymailRecipientsRefused):
        return DeliveryError(f"Recipient refused: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # 4xx (greylisting, mailbox busy) is "try later"; 5xx is a rejected address.
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return DeliveryError(
            f"Recipient refused: {exc.recipients}", permanent=permanent
        )
    if isinstance(exc, AnymailAPIError):
        permanent = is_permanent_status(exc.status_code)
        return DeliveryError(f"Email provider error: {exc}", permanent=permanent)
    if isinstance(exc, AnymailError):
        # Invalid address, unsupported feature, unserialisable data: same next time.
        return DeliveryError(f"Email rejected before sending: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Our credentials, not this message: retried, so mail waits for the fix.
        return DeliveryError(f"SMTP login refused: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        # RFC 5321: 5yz is a permanent refusal of this message, 4yz a transient one.
        permanent = 500 <= exc.smtp_code < 600
        return DeliveryError(f"SMTP server refused: {exc}", permanent=permanent)
    return DeliveryError(f"Email server unreachable: {exc}", permanent=False)


# --- SMS (pluggable through settings.SMS_BACKEND) ---


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> str: ...


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str) -> str:
    """Send one text message; return the provider's message id."""
    return get_sms_backend().send(to=to, body=body)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class ConsoleSmsBackend:
    """Development: write each text to stdout instead of sending it."""

    def send(self, *, to: str, body: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(f"--- SMS to {to} ({message_id})\n{body}\n---\n")
        return message_id


class LocmemSmsBackend:
    """Tests: keep texts in `LocmemSmsBackend.outbox`, like Django's mail.outbox."""

    outbox: list[SmsMessage] = []

    def send(self, *, to: str, body: str) -> str:
        self.outbox.append(SmsMessage(to=to, body=body))
        return f"locmem-{len(self.outbox)}"


# What TwilioSmsBackend needs to send (checked by the deploy checks and texting).
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")


class TwilioSmsBackend:
    """Twilio's Messages API over httpx, with a timeout below Celery's soft limit."""

    def __init__(self) -> None:
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.auth_token = settings.TWILIO_AUTH_TOKEN
        self.from_number = settings.TWILIO_FROM_NUMBER
        self.timeout = settings.TWILIO_TIMEOUT_SECONDS
        self.url = (
            f"{settings.TWILIO_API_BASE_URL.rstrip('/')}/2010-04-01/Accounts/"
            f"{self.account_sid}/Messages.json"
        )

    def send(self, *, to: str, body: str) -> str:
        if not (self.account_sid and self.auth_token and self.from_number):
            raise DeliveryError(
                "Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER.",
                permanent=True,
            )
        try:
            response = httpx.post(
                self.url,
                data=self._message_data(to, body),
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:  # timeouts and connection errors
            raise DeliveryError(f"Twilio unreachable: {exc!r}") from exc
        if response.is_success:
            return response.json().get("sid", "")
        raise DeliveryError(
            _describe_twilio_error(response),
            permanent=is_permanent_status(response.status_code),
        )

    def _message_data(self, to: str, body: str) -> dict[str, str]:
        data = {"To": to, "From": self.from_number, "Body": body}
        callback = status_callback_url()
        if callback:
            # Twilio posts queued/sent/delivered/failed/undelivered here (issue #14).
            data["StatusCallback"] = callback
        return data


def twilio_public_origin() -> str:
    """The origin Twilio calls us at and signs: TWILIO_WEBHOOK_BASE_URL, else
    SITE_URL; "" when neither is set."""
    return (settings.TWILIO_WEBHOOK_BASE_URL or settings.SITE_URL).rstrip("/")


def status_callback_url() -> str:
    """Where Twilio reports delivery: TWILIO_STATUS_CALLBACK_URL, else the status
    webhook at the public origin, the one its signature is checked against; ""
    (no callbacks) when no origin is set."""
    if settings.TWILIO_STATUS_CALLBACK_URL:
        return settings.TWILIO_STATUS_CALLBACK_URL
    origin = twilio_public_origin()
    return origin + reverse("texting:status") if origin else ""


def _describe_twilio_error(response: httpx.Response) -> str:
    try:
        error = response.json()
    except ValueError:
        return f"Twilio HTTP {response.status_code}: {response.text[:200]}"
    return (
        f"Twilio HTTP {response.status_code} (code {error.get('code')}): "
        f"{error.get('message', '')}"
    )
