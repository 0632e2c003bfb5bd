import datetime as dt

import pytest

from apps.core import provider_health
from apps.core.models import ProviderHealth

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
EMAIL = provider_health.EMAIL


def health() -> ProviderHealth:
    return ProviderHealth.objects.get(provider=EMAIL)


def fail(times: int, now=NOW) -> None:
    for _ in range(times):
        provider_health.record_failure(EMAIL, "Connection refused", now=now)


def test_an_unknown_provider_is_up():
    assert provider_health.may_call(EMAIL, now=NOW)
    assert not provider_health.is_down(EMAIL)


def test_a_single_failure_does_not_mark_it_down():
    fail(provider_health.DOWN_AFTER_FAILURES - 1)

    assert not provider_health.is_down(EMAIL)
    assert provider_health.may_call(EMAIL, now=NOW)


def test_failures_in_a_row_mark_it_down_and_only_one_probe_may_call():
    fail(provider_health.DOWN_AFTER_FAILURES)

    assert health().state == ProviderHealth.State.DOWN
    assert health().down_since == NOW
    assert not provider_health.may_call(EMAIL, now=NOW)
    later = NOW + dt.timedelta(seconds=31)
    assert provider_health.probe_due(EMAIL, now=later)
    assert provider_health.may_call(EMAIL, now=later)  # this caller is the probe
    assert not provider_health.may_call(EMAIL, now=later)  # the next waits


def test_probes_back_off_to_five_minutes():
    fail(provider_health.DOWN_AFTER_FAILURES + 20)

    provider_health.record_failure(EMAIL, "still down", now=NOW)
    ProviderHealth.objects.filter(provider=EMAIL).update(next_probe_at=NOW)
    assert provider_health.may_call(EMAIL, now=NOW)
    wait = health().next_probe_at - NOW
    assert dt.timedelta(minutes=2, seconds=30) <= wait <= dt.timedelta(minutes=5)


def test_a_success_brings_it_back_and_flags_one_release():
    fail(provider_health.DOWN_AFTER_FAILURES)

    provider_health.record_success(EMAIL, now=NOW)

    assert health().state == ProviderHealth.State.UP and health().failures == 0
    assert provider_health.take_release(EMAIL)
    assert not provider_health.take_release(EMAIL)  # once per recovery


def test_a_success_while_healthy_writes_nothing(django_assert_num_queries):
    provider_health.record_success(EMAIL, now=NOW)  # no row yet: nothing to do

    with django_assert_num_queries(1):
        provider_health.record_success(EMAIL, now=NOW)
    assert not ProviderHealth.objects.exists()


def test_the_waiting_message_says_since_when_and_why():
    fail(provider_health.DOWN_AFTER_FAILURES)

    assert provider_health.down_message(EMAIL) == (
        "Waiting: email has not answered since 2026-03-02 12:00 UTC "
        "(last error: Connection refused)"
    )


def test_operators_see_provider_health_in_the_admin(admin_client):
    fail(provider_health.DOWN_AFTER_FAILURES)

    response = admin_client.get("/admin/core/providerhealth/")

    assert response.status_code == 200
    assert b"Connection refused" not in response.content  # the list stays short
    assert b"email" in response.content
