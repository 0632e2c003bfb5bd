"""Provider health: is OpenAI, the email server or the SMS provider answering?

Every task that calls a provider reports the outcome. DOWN_AFTER_FAILURES transient
failures in a row mark the provider DOWN; from then on one task at a time (the probe,
every PROBE_SCHEDULE step) may call it, and the others wait without calling. The
first success marks it UP and flags the waiting work for release, which the
provider's sweep then rings at once instead of leaving it to its own backoff.
"""

import datetime as dt
import logging

from django.db.models import Case, F, Q, When
from django.utils import timezone

from apps.core.models import ProviderHealth
from apps.core.retry import RetrySchedule

logger = logging.getLogger(__name__)

OPENAI = "openai"
EMAIL = "email"
SMS = "sms"

DOWN_AFTER_FAILURES = 3
# How often a DOWN provider is tried again: an outage's end is noticed within this.
PROBE_SCHEDULE = RetrySchedule(
    first=dt.timedelta(seconds=30),
    ceiling=dt.timedelta(minutes=5),
    give_up_after=dt.timedelta.max,
)


def _row(provider: str) -> ProviderHealth:
    row, _ = ProviderHealth.objects.get_or_create(provider=provider)
    return row


def record_failure(
    provider: str, error: str, *, now: dt.datetime | None = None
) -> None:
    """Count a transient failure; the DOWN_AFTER_FAILURES-th in a row marks it DOWN."""
    now = now or timezone.now()
    _row(provider)
    ProviderHealth.objects.filter(provider=provider).update(
        failures=F("failures") + 1, last_error=error[:2000], last_failure_at=now
    )
    health = ProviderHealth.objects.get(provider=provider)
    if health.failures < DOWN_AFTER_FAILURES:
        return
    probe_at = now + PROBE_SCHEDULE.delay(health.failures - DOWN_AFTER_FAILURES + 1)
    went_down = ProviderHealth.objects.filter(
        provider=provider, state=ProviderHealth.State.UP
    ).update(state=ProviderHealth.State.DOWN, down_since=now, next_probe_at=probe_at)
    if went_down:
        logger.warning("Provider %s is down: %s", provider, error)


def record_success(provider: str, *, now: dt.datetime | None = None) -> None:
    """Mark the provider UP; if it was DOWN, flag its waiting work for release.

    One UPDATE that matches nothing while the provider is healthy (no write)."""
    now = now or timezone.now()
    came_back = Q(state=ProviderHealth.State.DOWN)
    updated = (
        ProviderHealth.objects.filter(provider=provider)
        .filter(came_back | Q(failures__gt=0))
        .update(
            state=ProviderHealth.State.UP,
            failures=0,
            down_since=None,
            next_probe_at=None,
            release_pending=Case(
                When(came_back, then=True), default=F("release_pending")
            ),
            last_success_at=now,
        )
    )
    if updated:
        logger.info("Provider %s answered", provider)


def may_call(provider: str, *, now: dt.datetime | None = None) -> bool:
    """True if the provider is UP, or DOWN and this caller won the due probe."""
    now = now or timezone.now()
    health = ProviderHealth.objects.filter(provider=provider).first()
    if health is None or health.state == ProviderHealth.State.UP:
        return True
    step = max(1, health.failures - DOWN_AFTER_FAILURES + 1)
    return bool(
        ProviderHealth.objects.filter(
            provider=provider,
            state=ProviderHealth.State.DOWN,
            next_probe_at__lte=now,
        ).update(next_probe_at=now + PROBE_SCHEDULE.delay(step))
    )


def is_down(provider: str) -> bool:
    return ProviderHealth.objects.filter(
        provider=provider, state=ProviderHealth.State.DOWN
    ).exists()


def probe_due(provider: str, *, now: dt.datetime | None = None) -> bool:
    """A DOWN provider whose next probe time has come (the sweep rings one task)."""
    return ProviderHealth.objects.filter(
        provider=provider,
        state=ProviderHealth.State.DOWN,
        next_probe_at__lte=now or timezone.now(),
    ).exists()


def take_release(provider: str) -> bool:
    """True once per recovery: the caller releases the work that waited (same
    transaction, so a crash before the release leaves the flag set)."""
    return bool(
        ProviderHealth.objects.filter(provider=provider, release_pending=True).update(
            release_pending=False
        )
    )


def down_message(provider: str) -> str:
    health = ProviderHealth.objects.filter(provider=provider).first()
    if health is None or health.down_since is None:
        return f"Waiting: {provider} is not answering."
    return (
        f"Waiting: {provider} has not answered since "
        f"{health.down_since:%Y-%m-%d %H:%M} UTC (last error: {health.last_error})"
    )[:2000]
