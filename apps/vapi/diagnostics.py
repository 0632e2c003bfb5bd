"""End-to-end configuration checks for `manage.py doctor`: each says what is wrong and the fix.

A failed check means calls, alerts or data would be lost. A warning means something
works in a reduced way on purpose (no OpenAI key: analysis is skipped and calls are
marked "skipped"; console email/SMS: alerts are printed, not sent) and does not fail
the doctor.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http.request import validate_host
from django.urls import reverse
from django.utils.module_loading import import_string

from apps.appointments.models import Service
from apps.businesses.models import Business
from apps.calls import analysis
from apps.calls.models import Call
from apps.core import health
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.privacy import vapi_deletion
from apps.vapi import sync as vapi_sync
from apps.vapi.client import VapiApiError, VapiClient
from voicehive.celery import app as celery_app

CONSOLE_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
SMS_BACKENDS = "apps.notifications.channels"
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
# Shorter shared secrets can be guessed by anyone who can reach the webhook.
MIN_SECRET_LENGTH = 24


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    problem: str = ""
    fix: str = ""
    warning: bool = False  # ok, but working in a reduced way: problem says how
    detail: str = ""  # what was found, for a passing check


def passed(name: str, detail: str = "") -> Check:
    return Check(name, ok=True, detail=detail)


def failed(name: str, problem: str, fix: str) -> Check:
    return Check(name, ok=False, problem=problem, fix=fix)


def warned(name: str, problem: str, fix: str) -> Check:
    return Check(name, ok=True, problem=problem, fix=fix, warning=True)


# --- Infrastructure ---


def check_database() -> Check:
    error = health.check_database()
    if error:
        return failed(
            "Database", error, "Check DATABASE_URL and that the server is running."
        )
    return passed("Database", f"{connection.vendor} reachable")


def check_migrations() -> Check:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # an unreachable database is reported by check_database
        return failed(
            "Migrations", f"{type(exc).__name__}: {exc}", "Fix the database first."
        )
    if pending:
        return failed(
            "Migrations",
            f"{len(pending)} migration(s) not applied.",
            "Run: python manage.py migrate",
        )
    return passed("Migrations", "all applied")


def check_broker() -> Check:
    error = health.check_broker()
    if error:
        return failed(
            "Celery broker",
            error,
            "Check REDIS_URL / CELERY_BROKER_URL and that Redis is running.",
        )
    return passed("Celery broker", _scheme(celery_app.conf.broker_url) + " reachable")


# --- Integrations ---


def check_openai() -> Check:
    if not analysis.is_configured():
        return warned(
            "OpenAI",
            "OPENAI_API_KEY is not set: post-call analysis is skipped "
            "(calls are marked 'skipped', no lead scoring).",
            "Set OPENAI_API_KEY to enable analysis.",
        )
    return passed("OpenAI", f"key set, model {settings.OPENAI_MODEL}")


def check_email() -> Check:
    backend = settings.EMAIL_BACKEND
    if backend in CONSOLE_EMAIL_BACKENDS:
        return warned(
            "Email",
            f"EMAIL_BACKEND is {backend}: staff alerts and confirmations are not sent.",
            "Set EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend and ANYMAIL_API_KEY.",
        )
    if backend.startswith("anymail.backends."):
        return _check_anymail(backend)
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        if (
            not getattr(settings, "EMAIL_HOST", "")
            or settings.EMAIL_HOST == "localhost"
        ):
            return failed(
                "Email",
                "The SMTP backend has no EMAIL_HOST.",
                "Set EMAIL_HOST, EMAIL_HOST_USER and EMAIL_HOST_PASSWORD.",
            )
        return passed("Email", f"SMTP via {settings.EMAIL_HOST}")
    return passed("Email", backend)


def _check_anymail(backend: str) -> Check:
    esp = backend.split(".")[2]
    keys = [
        name
        for name, value in settings.ANYMAIL.items()
        if name.startswith(f"{esp.upper()}_") and "WEBHOOK" not in name and value
    ]
    if not keys:
        return failed(
            "Email",
            f"EMAIL_BACKEND uses {esp} but no {esp} API key is configured.",
            "Set ANYMAIL_API_KEY to the provider's API key.",
        )
    return passed("Email", f"{esp} via anymail ({keys[0]} set)")


def check_sms() -> Check:
    backend = settings.SMS_BACKEND
    try:
        import_string(backend)
    except ImportError as exc:
        return failed(
            "SMS", f"SMS_BACKEND cannot be imported: {exc}", "Fix SMS_BACKEND."
        )
    if backend in (
        f"{SMS_BACKENDS}.ConsoleSmsBackend",
        f"{SMS_BACKENDS}.LocmemSmsBackend",
    ):
        return warned(
            "SMS",
            f"SMS_BACKEND is {backend.rsplit('.', 1)[1]}: texts are not sent.",
            "Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER.",
        )
    if backend == f"{SMS_BACKENDS}.TwilioSmsBackend":
        return _check_twilio()
    return passed("SMS", backend)


def _check_twilio() -> Check:
    missing = [name for name in TWILIO_SETTINGS if not getattr(settings, name)]
    if missing:
        return failed(
            "SMS",
            f"Twilio is selected but {', '.join(missing)} not set.",
            f"Set {', '.join(missing)}.",
        )
    try:
        normalize_phone(settings.TWILIO_FROM_NUMBER)
    except InvalidPhoneError:
        return failed(
            "SMS",
            f"TWILIO_FROM_NUMBER {settings.TWILIO_FROM_NUMBER!r} is not a phone number.",
            "Set TWILIO_FROM_NUMBER to your Twilio number in E.164 (+15125550100).",
        )
    return passed("SMS", f"Twilio from {settings.TWILIO_FROM_NUMBER}")


# --- VAPI ---


def check_webhook_secret() -> Check:
    name = "VAPI webhook secret"
    modes = {"bearer": settings.VAPI_WEBHOOK_SECRET, "HMAC": settings.VAPI_HMAC_SECRET}
    secrets = {mode: secret for mode, secret in modes.items() if secret}
    if not secrets:
        return failed(
            name,
            "Neither VAPI_WEBHOOK_SECRET nor VAPI_HMAC_SECRET is set: the webhook "
            "refuses every VAPI request.",
            "Set VAPI_WEBHOOK_SECRET to a long random string (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and put "
            "the same value in the VAPI credential.",
        )
    if min(len(secret) for secret in secrets.values()) < MIN_SECRET_LENGTH:
        return warned(
            name,
            f"A webhook secret is shorter than {MIN_SECRET_LENGTH} characters.",
            "Use a longer random secret (and update the VAPI credential).",
        )
    return passed(name, " and ".join(secrets) + " configured")


def check_webhook_url() -> Check:
    name = "VAPI webhook URL"
    path = reverse("vapi:webhook")
    url = settings.VAPI_SERVER_URL
    parts = urlsplit(url)
    if not url:
        problem = "VAPI_SERVER_URL is not set: VAPI does not know where to send calls."
    elif parts.scheme != "https" or not parts.hostname:
        problem = f"VAPI_SERVER_URL {url!r} is not an https:// URL."
    elif parts.path != path:
        problem = (
            f"VAPI_SERVER_URL ends in {parts.path!r}, not our webhook path {path!r}."
        )
    elif not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        return failed(
            name,
            f"{parts.hostname} is not in ALLOWED_HOSTS: Django answers VAPI with 400.",
            f"Add {parts.hostname} to ALLOWED_HOSTS.",
        )
    else:
        return passed(name, url)
    host = parts.hostname or "<your public host>"
    return failed(name, problem, f"Set VAPI_SERVER_URL=https://{host}{path}")


def check_vapi_credential() -> Check:
    name = "VAPI credential"
    if not settings.VAPI_CREDENTIAL_ID:
        return failed(
            name,
            "VAPI_CREDENTIAL_ID is not set: VAPI would call the webhook without our "
            "secret, and be refused.",
            "In VAPI, create a custom credential (bearer token = VAPI_WEBHOOK_SECRET, "
            "or HMAC with VAPI_HMAC_SECRET) and set VAPI_CREDENTIAL_ID to its id.",
        )
    return passed(name, settings.VAPI_CREDENTIAL_ID)


def check_vapi_api(*, offline: bool = False) -> Check:
    name = "VAPI API key"
    if not settings.VAPI_API_KEY:
        return failed(
            name,
            "VAPI_API_KEY is not set: phone numbers cannot be synced and lost "
            "end-of-call reports cannot be recovered.",
            "Copy the private API key from the VAPI dashboard into VAPI_API_KEY.",
        )
    if offline:
        return passed(name, "set (not tried: --offline)")
    try:
        with VapiClient.from_settings() as client:
            numbers = client.list_phone_numbers(limit=1)
    except VapiApiError as exc:
        fix = (
            "Check VAPI_API_KEY: it must be the private key, not the public one."
            if exc.status_code in (401, 403)
            else "Check VAPI_API_URL and the network, then try again."
        )
        return failed(name, str(exc), fix)
    return passed(
        name, f"accepted by {settings.VAPI_API_URL} ({len(numbers)} number(s) seen)"
    )


def check_vapi_deletions() -> Check | None:
    """Erased calls VAPI still holds; None when there are none to speak of."""
    name = "VAPI copies of erased calls"
    reasons = vapi_deletion.deletion_reasons()
    try:
        waiting = Call.objects.awaiting_vapi_deletion(reasons).count()
    except DatabaseError:
        return None  # unmigrated: check_migrations says so
    if not waiting:
        return None
    calls = "erased" if len(reasons) == 1 else "erased or purged"
    if not vapi_deletion.is_configured():
        return warned(
            name,
            f"VAPI still holds the recording and transcript of {waiting} {calls} "
            "call(s): without VAPI_API_KEY they cannot be deleted there.",
            "Set VAPI_API_KEY to the private API key from the VAPI dashboard; the "
            "worker then deletes them within ten minutes.",
        )
    return passed(name, f"{waiting} {calls} call(s) being deleted at VAPI")


# --- Businesses ---


def check_business(business: Business, *, client: VapiClient | None) -> list[Check]:
    """Numbers, hours, services and contacts of one active business."""
    checks = [
        _check_numbers(business, client=client),
        _check_hours(business),
        _check_services(business),
    ]
    if not business.transfer_number:
        checks.append(
            warned(
                f"{business.slug}: transfers",
                "No transfer number: Roxy cannot put callers through to staff.",
                "Set the business's transfer number in the admin.",
            )
        )
    if not business.notification_email_list and not business.notification_phone_list:
        checks.append(
            warned(
                f"{business.slug}: alerts",
                "No notification emails or phones: nobody hears about new leads.",
                "Add staff addresses or mobiles to the business in the admin.",
            )
        )
    return checks


def _check_numbers(business: Business, *, client: VapiClient | None) -> Check:
    name = f"{business.slug}: phone numbers"
    count = business.phone_numbers.count()
    if not count:
        return failed(
            name,
            "No VAPI phone number on file: no call can reach this business.",
            "Add the VAPI phone number id in the admin (Businesses > VAPI phone numbers).",
        )
    if client is None:
        return passed(name, f"{count} on file (VAPI not checked)")
    try:
        changes = vapi_sync.plan_phone_number_sync(business, client=client)
    except (VapiApiError, vapi_sync.VapiSyncError) as exc:
        return failed(
            name, str(exc), "Fix the id in the admin, or the VAPI settings above."
        )
    drifted = [change for change in changes if not change.is_in_sync]
    if drifted:
        lines = "; ".join(
            f"{c.title}: " + ", ".join(str(f) for f in c.changes) for c in drifted
        )
        return failed(
            name,
            f"{len(drifted)} of {count} not pointing at VoiceHive: {lines}",
            f"Run: python manage.py sync_vapi_assistant --business {business.slug}",
        )
    return passed(name, f"{count} on file, all pointing at VoiceHive")


def _check_hours(business: Business) -> Check:
    name = f"{business.slug}: opening hours"
    days = business.opening_hours.values_list("weekday", flat=True).distinct().count()
    if not days:
        return failed(
            name,
            "No opening hours: Roxy says the business is closed and offers no slots.",
            "Add opening hours in the admin.",
        )
    return passed(name, f"open {days} day(s) a week")


def _check_services(business: Business) -> Check:
    name = f"{business.slug}: services"
    services = Service.objects.filter(business=business, is_active=True)
    if not services.exists():
        return failed(
            name,
            "No active service: Roxy cannot book anything.",
            "Add services (and the providers who do them) in the admin.",
        )
    unstaffed = list(
        services.exclude(providers__is_active=True).values_list("name", flat=True)
    )
    if unstaffed:
        return failed(
            name,
            f"No active provider does: {', '.join(unstaffed)}; they can never be booked.",
            "Assign a provider to each service in the admin, or deactivate it.",
        )
    return passed(name, f"{services.count()} bookable")


# --- All together ---

CONFIG_CHECKS: tuple[Callable[[], Check], ...] = (
    check_database,
    check_migrations,
    check_broker,
    check_openai,
    check_email,
    check_sms,
    check_webhook_secret,
    check_webhook_url,
    check_vapi_credential,
)


def run_checks(*, offline: bool = False) -> list[Check]:
    """Every doctor check, in display order. Reads only; calls VAPI unless offline."""
    checks = [check() for check in CONFIG_CHECKS]
    api_check = check_vapi_api(offline=offline)
    checks.append(api_check)
    if not checks[0].ok:
        return checks  # every business check needs the database
    deletions = check_vapi_deletions()
    if deletions is not None:
        checks.append(deletions)
    return checks + _check_businesses(use_api=api_check.ok and not offline)


def _check_businesses(*, use_api: bool) -> list[Check]:
    businesses = list(Business.objects.active().order_by("slug"))
    if not businesses:
        return [
            failed(
                "Businesses",
                "No active business: every call is refused or forwarded.",
                "Add one in the admin, or run: python manage.py seed_demo",
            )
        ]
    try:
        vapi_sync.check_webhook_settings()
    except vapi_sync.VapiSyncError:
        use_api = False  # already reported by check_webhook_url
    client = VapiClient.from_settings() if use_api else None
    try:
        return [
            check
            for business in businesses
            for check in check_business(business, client=client)
        ]
    finally:
        if client is not None:
            client.close()


def _scheme(url: str) -> str:
    return urlsplit(url).scheme or url
