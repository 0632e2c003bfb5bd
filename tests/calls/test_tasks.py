import datetime as dt

import httpx
import pytest
from celery.exceptions import Retry
from django.utils import timezone

from apps.calls import post_call, tasks
from apps.calls.analysis import AnalysisError
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


def test_a_transient_error_is_retried_with_backoff(respx_mock, call, mocker):
    respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(429, json={"error": {"message": "slow down"}})
    )
    retry = mocker.patch.object(tasks.analyze_call, "retry", side_effect=Retry())

    with pytest.raises(Retry):
        tasks.analyze_call(call.id)

    (retried,) = retry.call_args_list
    assert isinstance(retried.kwargs["exc"], AnalysisError)
    assert "countdown" in retried.kwargs  # retry_backoff
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.PENDING


def test_a_permanent_error_is_not_retried(respx_mock, call, mocker):
    respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad request"}})
    )
    retry = mocker.patch.object(tasks.analyze_call, "retry")

    tasks.analyze_call(call.id)

    retry.assert_not_called()
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED


def test_retries_are_bounded_and_end_in_failed(respx_mock, call):
    route = respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(503, json={"error": {"message": "busy"}})
    )

    # apply() runs the task and its retries in this process, one after another.
    tasks.analyze_call.apply(args=(call.id,))

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED
    assert "OpenAI HTTP 503" in call.analysis_error
    assert route.call_count == tasks.analyze_call.max_retries + 1


def test_analysis_task_options():
    task = tasks.analyze_call

    assert task.name == "calls.analyze_call"
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == (AnalysisError,)
    assert task.retry_backoff and task.retry_jitter
    assert task.max_retries == 5


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
