import pytest
from celery.exceptions import Retry
from django.utils import timezone

from apps.calls.models import Call
from apps.privacy import retention, tasks
from apps.vapi.client import VapiApiError
from tests.calls.factories import CallFactory
from tests.vapi.payloads import vapi_api

pytestmark = pytest.mark.django_db


def test_the_nightly_purge_task_applies_retention(mocker):
    purge = mocker.patch.object(
        retention, "purge_call_data", return_value=retention.PurgeReport()
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

    assert task.name == "privacy.delete_vapi_call_data"
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == (VapiApiError,)
    assert task.retry_backoff == 10 and task.retry_jitter
    assert task.max_retries == 5


def test_the_deletion_sweep_task_rings_an_erased_call(erased_call, mocker):
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")

    tasks.sweep_vapi_deletions()

    delay.assert_called_once_with(erased_call.pk)
