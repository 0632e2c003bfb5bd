import datetime as dt

import httpx
import pytest
from celery.exceptions import Retry
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.utils import timezone

from apps.calls import digests, post_call, tasks
from apps.calls.analysis import AnalysisError
from apps.calls.models import Call
from apps.calls.vapi_api import VapiApiError
from apps.notifications.models import Notification
from tests.calls.factories import CallFactory
from tests.calls.payloads import vapi_api
from tests.calls.test_analysis import COMPLETIONS_URL, GOOD_ANALYSIS, completion
from tests.leads.factories import LeadFactory
from voicehive.celery import app as celery_app

pytestmark = pytest.mark.django_db

vapi_api_settings = vapi_api.vapi_api_settings


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


def test_the_digest_task_calls_the_service(mocker):
    send = mocker.patch.object(digests, "send_daily_digests", return_value=1)

    tasks.send_daily_digests()

    send.assert_called_once_with()


@pytest.mark.parametrize(
    ("entry", "task", "schedule"),
    [
        ("sweep-pending-analyses", tasks.sweep_pending_analyses, 60.0),
        ("send-daily-digests", tasks.send_daily_digests, crontab(minute=5)),
        ("sweep-vapi-deletions", tasks.sweep_vapi_deletions, 600.0),
    ],
)
def test_beat_runs_the_periodic_tasks(entry, task, schedule):
    beat = django_settings.CELERY_BEAT_SCHEDULE[entry]

    assert beat["task"] == task.name
    assert beat["schedule"] == schedule
    assert beat["task"] in celery_app.tasks


def test_the_nightly_purge_task_applies_retention(mocker):
    purge = mocker.patch.object(
        tasks.privacy, "purge_call_data", return_value=tasks.privacy.PurgeReport()
    )
    tasks.purge_call_data()
    purge.assert_called_once_with()


# --- Deleting VAPI's copy of erased calls ---


@pytest.fixture
def erased_call(vapi_api_settings):
    return CallFactory(
        caller_number="",
        transcript="",
        purged_at=timezone.now(),
        purge_reason=Call.PurgeReason.ERASURE,
    )


def _vapi_delete(respx_mock, call, status):
    url = f"{vapi_api.API_URL}/call/{call.vapi_call_id}"
    return respx_mock.delete(url).respond(status, json={"statusCode": status})


def test_the_deletion_task_deletes_the_call_at_vapi(respx_mock, erased_call):
    _vapi_delete(respx_mock, erased_call, 200)

    tasks.delete_vapi_call_data(erased_call.pk)

    erased_call.refresh_from_db()
    assert erased_call.vapi_deleted_at is not None


def test_the_deletion_task_is_idempotent_when_run_twice(respx_mock, erased_call):
    route = _vapi_delete(respx_mock, erased_call, 200)

    tasks.delete_vapi_call_data(erased_call.pk)
    tasks.delete_vapi_call_data(erased_call.pk)

    assert route.call_count == 1


def test_a_transient_deletion_error_is_retried_with_backoff(
    respx_mock, erased_call, mocker
):
    _vapi_delete(respx_mock, erased_call, 503)
    retry = mocker.patch.object(
        tasks.delete_vapi_call_data, "retry", side_effect=Retry()
    )

    with pytest.raises(Retry):
        tasks.delete_vapi_call_data(erased_call.pk)

    (retried,) = retry.call_args_list
    assert retried.kwargs["exc"].transient
    assert "countdown" in retried.kwargs  # retry_backoff


def test_a_refused_key_is_not_retried(respx_mock, erased_call, mocker):
    _vapi_delete(respx_mock, erased_call, 401)
    retry = mocker.patch.object(tasks.delete_vapi_call_data, "retry")

    tasks.delete_vapi_call_data(erased_call.pk)

    retry.assert_not_called()
    erased_call.refresh_from_db()
    assert erased_call.vapi_deleted_at is None  # the sweep asks again


def test_deletion_retries_are_bounded_and_leave_the_call_to_the_sweep(
    respx_mock, erased_call
):
    route = _vapi_delete(respx_mock, erased_call, 503)

    # apply() runs the task and its retries in this process, one after another.
    result = tasks.delete_vapi_call_data.apply(args=(erased_call.pk,))

    assert isinstance(result.result, VapiApiError)
    assert route.call_count == tasks.delete_vapi_call_data.max_retries + 1
    erased_call.refresh_from_db()
    assert erased_call.vapi_deleted_at is None
    assert erased_call.pk in Call.objects.awaiting_vapi_deletion(
        (Call.PurgeReason.ERASURE,)
    ).values_list("pk", flat=True)


def test_deletion_task_options():
    task = tasks.delete_vapi_call_data

    assert task.name == "calls.delete_vapi_call_data"
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == (VapiApiError,)
    assert task.retry_backoff == 10 and task.retry_jitter
    assert task.max_retries == 5


def test_the_deletion_sweep_task_rings_an_erased_call(erased_call, mocker):
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")

    tasks.sweep_vapi_deletions()

    delay.assert_called_once_with(erased_call.pk)
