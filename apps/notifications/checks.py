"""Deploy checks of the email and SMS settings: staff alerts and texts must really go out."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.notifications.channels import TWILIO_SETTINGS

# Backends that keep mail on this machine: right for development, silent in production.
LOCAL_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# ANYMAIL entries that verify the ESP's webhooks rather than send mail.
ANYMAIL_WEBHOOK_WORDS = ("WEBHOOK", "SIGNING", "TRACKING")
SMS_BACKENDS = "apps.notifications.channels"
LOCAL_SMS_BACKENDS = {
    f"{SMS_BACKENDS}.ConsoleSmsBackend",
    f"{SMS_BACKENDS}.LocmemSmsBackend",
}


@checks.register(deploy=True)
def check_email(**kwargs) -> list[checks.CheckMessage]:
    """Email leaves this machine through a configured provider."""
    backend = settings.EMAIL_BACKEND
    if backend in LOCAL_EMAIL_BACKENDS:
        return [
            checks.Warning(
                f"EMAIL_BACKEND is {backend}: staff alerts and confirmations are "
                "not sent.",
                hint="Set EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend and "
                "ANYMAIL_API_KEY, or EMAIL_BACKEND="
                "django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST, "
                "EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS.",
                id="notifications.W001",
            )
        ]
    if backend.startswith("anymail.backends."):
        return _check_anymail(backend)
    if backend == SMTP_EMAIL_BACKEND:
        return _check_smtp()
    return []


def _check_smtp() -> list[checks.CheckMessage]:
    """The settings the SMTP backend reads: host, login, encryption, timeout."""
    if settings.EMAIL_HOST in ("", "localhost", "127.0.0.1"):
        return [
            checks.Error(
                f"The SMTP backend sends to {settings.EMAIL_HOST or 'no host'!r}.",
                hint="Set EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD "
                "and EMAIL_USE_TLS (or EMAIL_USE_SSL).",
                id="notifications.E002",
            )
        ]
    problems = []
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        problems.append(
            checks.Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; Django refuses to send.",
                hint="Use EMAIL_USE_TLS=true with port 587, or EMAIL_USE_SSL=true "
                "with port 465.",
                id="notifications.E006",
            )
        )
    if bool(settings.EMAIL_HOST_USER) != bool(settings.EMAIL_HOST_PASSWORD):
        problems.append(
            checks.Error(
                "Only one of EMAIL_HOST_USER and EMAIL_HOST_PASSWORD is set.",
                hint="Set both (the SMTP login), or neither.",
                id="notifications.E007",
            )
        )
    if not (settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL):
        problems.append(
            checks.Warning(
                f"SMTP to {settings.EMAIL_HOST} is not encrypted: the login and "
                "every message cross the network in clear.",
                hint="Set EMAIL_USE_TLS=true (port 587) or EMAIL_USE_SSL=true (465).",
                id="notifications.W003",
            )
        )
    if not settings.EMAIL_TIMEOUT:
        problems.append(
            checks.Error(
                "EMAIL_TIMEOUT is not set: a mail server that stops answering "
                "holds a worker until Celery's time limit kills it.",
                hint="Set EMAIL_TIMEOUT (seconds, below CELERY_TASK_SOFT_TIME_LIMIT).",
                id="notifications.E008",
            )
        )
    return problems


def _check_anymail(backend: str) -> list[checks.CheckMessage]:
    esp = backend.split(".")[2]
    has_key = any(
        value
        for name, value in settings.ANYMAIL.items()
        if name.startswith(f"{esp.upper()}_")
        and not any(word in name for word in ANYMAIL_WEBHOOK_WORDS)
    )
    if has_key:
        return []
    return [
        checks.Error(
            f"EMAIL_BACKEND uses {esp} but no {esp} API key is configured.",
            hint="Set ANYMAIL_API_KEY to the provider's API key.",
            id="notifications.E001",
        )
    ]


@checks.register(deploy=True)
def check_sms(**kwargs) -> list[checks.CheckMessage]:
    """Texts leave this machine through a configured provider."""
    backend = settings.SMS_BACKEND
    try:
        import_string(backend)
    except ImportError as exc:
        return [
            checks.Error(
                f"SMS_BACKEND cannot be imported: {exc}",
                hint="Fix SMS_BACKEND.",
                id="notifications.E003",
            )
        ]
    if backend in LOCAL_SMS_BACKENDS:
        return [
            checks.Warning(
                f"SMS_BACKEND is {backend.rsplit('.', 1)[1]}: texts are not sent.",
                hint="Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM_NUMBER.",
                id="notifications.W002",
            )
        ]
    if backend == f"{SMS_BACKENDS}.TwilioSmsBackend":
        return _check_twilio()
    return []


def _check_twilio() -> list[checks.CheckMessage]:
    missing = [name for name in TWILIO_SETTINGS if not getattr(settings, name)]
    if missing:
        return [
            checks.Error(
                f"Twilio is selected but {', '.join(missing)} not set.",
                hint=f"Set {', '.join(missing)}.",
                id="notifications.E004",
            )
        ]
    try:
        normalize_phone(settings.TWILIO_FROM_NUMBER)
    except InvalidPhoneError:
        return [
            checks.Error(
                f"TWILIO_FROM_NUMBER {settings.TWILIO_FROM_NUMBER!r} is not a phone "
                "number.",
                hint="Set TWILIO_FROM_NUMBER to your Twilio number in E.164 "
                "(+15125550100).",
                id="notifications.E005",
            )
        ]
    return []
