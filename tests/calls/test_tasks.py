import datetime as dt

import httpx
import pytest
from django.utils import timezone

from apps.calls import post_call, tasks
from apps.calls.models import Call
from apps.notifications.models import Notification
from tests.calls.factories import CallFactory
from tests.calls.test_analysis import COMPLETIONS_URL, GOOD_ANALYSIS, completion
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def openai_key(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.POST_CALL_ALERT_MAX_AGE_HOURS = 24


@pytest.fixture
def call():
    lead = LeadFactory(name="", email="")
    return CallFactory(
        business=lead.business,
        lead=lead,
        analysis_status=Call.AnalysisStatus.PENDING,
        analysis_requested_at=timezone.now(),
    )


def urgent_reply(respx_mock):
    content = {**GOOD_ANALYSIS, "follow_up_urgency": "urgent"}
    return respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(200, json=completion(content))
    )


def test_the_task_analyses_the_call(respx_mock, call):
    urgent_reply(respx_mock)

    tasks.analyze_call(call.id)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.COMPLETED
    assert call.lead.name == "Dana Whitfield"


def test_the_task_is_idempotent_when_run_twice(respx_mock, call):
    route = urgent_reply(respx_mock)

    tasks.analyze_call(call.id)
    tasks.analyze_call(call.id)

    assert route.call_count == 1
    kinds = sorted(Notification.objects.values_list("kind", "channel"))
    assert kinds == [
        ("new_lead", "email"),
        ("new_lead", "sms"),
        ("urgent_follow_up", "email"),
        ("urgent_follow_up", "sms"),
    ]


def test_a_missing_call_is_a_no_op(respx_mock):
    tasks.analyze_call(999_999)

    assert not respx_mock.calls


def test_a_transient_error_schedules_a_retry_on_the_row(respx_mock, call, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(429, json={"error": {"message": "slow down"}})
    )

    tasks.analyze_call(call.id)  # no exception: the row holds the retry

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert call.analysis_attempts == 1
    wait = call.analysis_retry_at - timezone.now()
    assert dt.timedelta(seconds=15) <= wait <= dt.timedelta(seconds=30)
    assert call.analysis_error.startswith("Will retry at 2026-03-02 12:00:")


def test_a_permanent_error_is_not_retried(respx_mock, call):
    route = respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad request"}})
    )

    tasks.analyze_call(call.id)
    tasks.analyze_call(call.id)

    assert route.call_count == 1
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED
    assert call.analysis_error.startswith("Permanent: OpenAI HTTP 400")
    assert call.analysis_retry_at is None


def test_analysis_task_options():
    task = tasks.analyze_call

    assert task.name == "calls.analyze_call"
    assert task.acks_late and task.reject_on_worker_lost
    # Retries live on the row (analysis_retries.retry_schedule), not in the broker.
    assert not getattr(task, "autoretry_for", ())


def test_the_sweep_task_calls_the_service(mocker):
    sweep = mocker.patch.object(post_call, "sweep_pending_analyses", return_value=2)

    tasks.sweep_pending_analyses()

    sweep.assert_called_once_with()


def test_the_sweep_task_rings_a_call_left_pending(mocker):
    delay = mocker.patch.object(tasks.analyze_call, "delay")
    stale = CallFactory(
        analysis_status=Call.AnalysisStatus.PENDING,
        analysis_requested_at=timezone.now() - dt.timedelta(hours=1),
    )

    tasks.sweep_pending_analyses()

    delay.assert_called_once_with(stale.id)
