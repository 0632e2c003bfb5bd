"""OpenAI outages end in analysis: post_call's retry schedule and sweep, on a clock.

Calls end while OpenAI is down (connection refused, or 503); then what beat runs
(the analysis sweep, every minute) runs with the clock moved forward and the
doorbell running the analysis task at once. time_machine moves the clock.
"""

import datetime as dt

import httpx
import pytest
from django.utils import timezone

from apps.calls import post_call, tasks
from apps.calls.models import Call
from apps.core import provider_health
from apps.core.models import ProviderHealth
from tests.calls.factories import CallFactory
from tests.calls.test_analysis import COMPLETIONS_URL, GOOD_ANALYSIS, completion
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def openai_settings(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.ANALYSIS_SWEEP_GRACE_SECONDS = 180
    settings.POST_CALL_ALERT_MAX_AGE_HOURS = 24


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture(autouse=True)
def doorbell(mocker):
    return mocker.patch.object(
        tasks.analyze_call,
        "delay",
        side_effect=lambda call_id: tasks.analyze_call(call_id),
    )


def openai_down_until(respx_mock, back_at: dt.datetime, *, failure: str):
    def answer(request):
        if timezone.now() < back_at:
            if failure == "refused":
                raise httpx.ConnectError("Connection refused")
            return httpx.Response(503, json={"error": {"message": "overloaded"}})
        return httpx.Response(200, json=completion(GOOD_ANALYSIS))

    return respx_mock.post(COMPLETIONS_URL).mock(side_effect=answer)


def ended_calls(count: int) -> list[Call]:
    calls = []
    for _ in range(count):
        lead = LeadFactory(name="", email="")
        calls.append(
            CallFactory(
                business=lead.business,
                lead=lead,
                analysis_status=Call.AnalysisStatus.PENDING,
                analysis_requested_at=timezone.now(),
                ended_at=timezone.now(),
            )
        )
    for call in calls:
        post_call.enqueue_analysis(call.id)  # the webhook's doorbell
    return calls


def run_beat(clock, until: dt.timedelta) -> dt.datetime | None:
    end = START + until
    while timezone.now() < end:
        clock.shift(dt.timedelta(minutes=1))
        post_call.sweep_pending_analyses()
        if not Call.objects.needing_analysis().exists():
            return timezone.now()
    return None


@pytest.mark.parametrize("failure", ["refused", "503"])
@pytest.mark.parametrize(
    ("outage", "deadline_after_recovery"),
    [
        (dt.timedelta(seconds=30), dt.timedelta(minutes=3)),
        (dt.timedelta(minutes=2), dt.timedelta(minutes=6)),
        (dt.timedelta(hours=1), dt.timedelta(minutes=7)),
    ],
    ids=["30s", "2min", "1h"],
)
def test_every_call_is_analysed_after_an_outage(
    clock, respx_mock, failure, outage, deadline_after_recovery
):
    route = openai_down_until(respx_mock, START + outage, failure=failure)
    calls = ended_calls(5)

    done_at = run_beat(clock, until=outage + dt.timedelta(hours=1))

    assert done_at is not None, "some calls were never analysed"
    assert done_at - (START + outage) <= deadline_after_recovery
    statuses = set(Call.objects.values_list("analysis_status", flat=True))
    assert statuses == {Call.AnalysisStatus.COMPLETED}
    answered = [
        c
        for c in route.calls
        if c.optional_response is not None and c.optional_response.status_code == 200
    ]
    assert len(answered) == len(calls)  # each call analysed once


def test_while_openai_is_down_only_probes_reach_it(clock, respx_mock):
    route = openai_down_until(respx_mock, START + dt.timedelta(hours=2), failure="503")
    ended_calls(10)

    run_beat(clock, until=dt.timedelta(hours=1))

    # 10 first tries, then one probe every 30 s - 5 min, not 10 calls' backoffs.
    assert route.call_count < 10 + 25
    assert ProviderHealth.objects.get(provider=provider_health.OPENAI).state == "down"
    call = Call.objects.first()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert call.analysis_error.startswith(("Waiting: openai", "Will retry at"))


def test_an_outage_longer_than_the_retry_window_fails_the_call(
    clock, respx_mock, settings
):
    settings.ANALYSIS_RETRY_FOR_HOURS = 2
    openai_down_until(respx_mock, START + dt.timedelta(days=1), failure="refused")
    (call,) = ended_calls(1)

    run_beat(clock, until=dt.timedelta(hours=4))

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED
    assert call.analysis_error.startswith("Gave up after ")
    assert "OpenAI unreachable" in call.analysis_error
