"""Deploy checks (the encryption key) and doctor's probe of each calendar connection."""

import datetime as dt

from django.conf import settings
from django.core import checks
from django.utils import timezone

from apps.calendars import crypto
from apps.calendars.models import CalendarConnection, CalendarWrite
from apps.core import probes

KEY_HINT = (
    'Set CALENDAR_ENCRYPTION_KEYS to a Fernet key: python -c "from '
    'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


@checks.register(deploy=True)
def check_encryption_keys(**kwargs) -> list[checks.CheckMessage]:
    """Calendar secrets at rest need a key of their own in production."""
    errors = crypto.key_errors()
    if errors:
        return [
            checks.Error(
                f"CALENDAR_ENCRYPTION_KEYS: {'; '.join(errors)}.",
                hint=KEY_HINT,
                id="calendars.E001",
            )
        ]
    if not crypto.keys_configured():
        message = (
            "CALENDAR_ENCRYPTION_KEYS is not set: calendar tokens and passwords "
            "would be encrypted with a key derived from SECRET_KEY."
        )
        if settings.DEBUG:
            return [checks.Warning(message, hint=KEY_HINT, id="calendars.W001")]
        return [checks.Error(message, hint=KEY_HINT, id="calendars.E002")]
    return []


@probes.register(probes.DATABASE)
def check_connections(**kwargs) -> list[checks.CheckMessage]:
    """Each calendar connection: usable secret, recent sync, no failed writes."""
    now = timezone.now()
    stale_after = dt.timedelta(seconds=settings.CALENDAR_STALE_AFTER_SECONDS)
    connections = (
        CalendarConnection.objects.exclude(
            status=CalendarConnection.Status.DISCONNECTED
        )
        .select_related("business", "provider")
        .order_by("business__slug", "pk")
    )
    return [_probe(c, now, stale_after) for c in connections]


def _probe(connection, now, stale_after) -> checks.CheckMessage:
    label = f"calendar {connection.pk} ({connection.get_kind_display()}, "
    label += f"{connection.provider.name if connection.provider else 'whole business'})"
    where = connection.business.slug
    fix = f"Reconnect it in the admin (Calendars → connections → {connection.pk})."
    try:
        connection.credentials()
    except crypto.SecretUnreadable:
        return checks.Error(
            f"{label}: its secret cannot be decrypted with CALENDAR_ENCRYPTION_KEYS.",
            hint="Put the old key back after the new one, or " + fix.lower(),
            obj=where,
            id="calendars.E003",
        )
    if connection.status == CalendarConnection.Status.NEEDS_RECONNECT:
        return checks.Error(
            f"{label}: the provider refused our access: {connection.last_error[:200]}",
            hint=fix,
            obj=where,
            id="calendars.E004",
        )
    failed = CalendarWrite.objects.filter(
        calendar__connection=connection, state=CalendarWrite.State.FAILED
    ).count()
    if failed:
        return checks.Error(
            f"{label}: {failed} appointment(s) could not be written to the calendar.",
            hint="See Calendars → calendar writes; fix the cause, then 'Write again'.",
            obj=where,
            id="calendars.E005",
        )
    if (
        connection.last_synced_at is None
        or now - connection.last_synced_at > stale_after
    ):
        return checks.Warning(
            f"{label}: busy time last synced "
            f"{connection.last_synced_at or 'never'}: {connection.last_error[:200]}",
            hint="Run: python manage.py resync_calendars --connection "
            f"{connection.pk} (and check that the worker and beat run).",
            obj=where,
            id="calendars.W002",
        )
    return checks.Info(
        f"{label}: synced {int((now - connection.last_synced_at).total_seconds())}s ago",
        obj=where,
        id="calendars.I001",
    )
