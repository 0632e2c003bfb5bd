"""Deleting VAPI's copy of erased (and, when enabled, purged) calls."""

import datetime as dt
import logging

import httpx
import pytest

from apps.calls.models import Call
from apps.privacy import erasure, tasks, vapi_deletion
from apps.vapi.client import VapiApiError
from tests.calls.factories import CallFactory
from tests.vapi.payloads import vapi_api
from tests.vapi.payloads.vapi_api import API_URL, ended_call

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 14, 16, 0, tzinfo=dt.UTC)
LONG_AGO = NOW - dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def configured(vapi_api_settings):
    vapi_api_settings.VAPI_DELETE_PURGED_CALLS = False
    return vapi_api_settings


def _erased(**fields) -> Call:
    fields = {
        "purged_at": NOW - dt.timedelta(days=1),
        "purge_reason": Call.PurgeReason.ERASURE,
        "caller_number": "",
        "transcript": "",
        **fields,
    }
    return CallFactory(**fields)


def _purged(**fields) -> Call:
    return _erased(purge_reason=Call.PurgeReason.RETENTION, **fields)


def _delete_route(respx_mock, call: Call, *, status: int = 200, side_effect=None):
    route = respx_mock.delete(f"{API_URL}/call/{call.vapi_call_id}")
    if side_effect is not None:
        return route.mock(side_effect=side_effect)
    if status == 200:
        return route.respond(200, json=ended_call(call.vapi_call_id))
    return route.respond(status, json={"message": "No", "statusCode": status})


def _deleted_at(call: Call) -> dt.datetime | None:
    call.refresh_from_db()
    return call.vapi_deleted_at


# --- Deleting one call ---


def test_an_erased_call_is_deleted_at_vapi_and_stamped(respx_mock):
    call = _erased()
    route = _delete_route(respx_mock, call)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is True

    assert route.call_count == 1
    assert _deleted_at(call) is not None
    assert call.updated_at == call.vapi_deleted_at


def test_a_call_vapi_no_longer_has_counts_as_deleted(respx_mock):
    call = _erased()
    _delete_route(respx_mock, call, status=404)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is True

    assert _deleted_at(call) is not None


def test_deleting_twice_asks_vapi_once(respx_mock):
    call = _erased()
    route = _delete_route(respx_mock, call)

    vapi_deletion.delete_vapi_call_data(call.pk)
    stamped = _deleted_at(call)
    assert vapi_deletion.delete_vapi_call_data(call.pk) is False

    assert route.call_count == 1
    assert _deleted_at(call) == stamped


@pytest.mark.parametrize(
    "fields",
    [
        {},  # never purged: the caller was not erased
        {"purged_at": NOW, "purge_reason": Call.PurgeReason.RETENTION},
        {
            "purged_at": NOW,
            "purge_reason": Call.PurgeReason.ERASURE,
            "vapi_call_id": "",
        },
    ],
    ids=["not-erased", "retention-purged", "no-vapi-id"],
)
def test_calls_not_awaiting_deletion_are_left_alone(respx_mock, fields):
    call = CallFactory(**fields)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is False

    assert not respx_mock.calls
    assert _deleted_at(call) is None


def test_a_missing_call_is_a_no_op(respx_mock):
    assert vapi_deletion.delete_vapi_call_data(999_999) is False
    assert not respx_mock.calls


def test_retention_purged_calls_are_deleted_when_enabled(respx_mock, configured):
    configured.VAPI_DELETE_PURGED_CALLS = True
    call = _purged()
    _delete_route(respx_mock, call)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is True

    assert _deleted_at(call) is not None


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503},
        {"status": 429},
        {"side_effect": httpx.ConnectError("refused")},
        {"side_effect": httpx.ReadTimeout("slow")},
    ],
    ids=["503", "429", "network", "timeout"],
)
def test_a_transient_failure_raises_and_leaves_the_call_waiting(respx_mock, failure):
    call = _erased()
    _delete_route(respx_mock, call, **failure)

    with pytest.raises(VapiApiError) as caught:
        vapi_deletion.delete_vapi_call_data(call.pk)

    assert caught.value.transient
    assert _deleted_at(call) is None


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_logged_and_the_call_left_for_the_sweep(
    respx_mock, caplog, status
):
    call = _erased()
    _delete_route(respx_mock, call, status=status)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is False

    assert _deleted_at(call) is None
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"Call {call.pk} not deleted at VAPI" in record.getMessage()
    assert f"answered {status}" in record.getMessage()
    assert vapi_api.API_KEY not in caplog.text


def test_without_a_key_vapi_is_not_asked(respx_mock, configured, caplog):
    configured.VAPI_API_KEY = ""
    call = _erased()

    assert vapi_deletion.delete_vapi_call_data(call.pk) is False

    assert not respx_mock.calls
    assert "VAPI_API_KEY is not set" in caplog.text


# --- Asking for deletion when a caller is erased ---


def test_requesting_deletion_rings_the_worker_on_commit(
    mocker, django_capture_on_commit_callbacks
):
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")
    calls = [_erased(), _erased()]
    gone = _erased(vapi_deleted_at=NOW)

    with django_capture_on_commit_callbacks() as callbacks:
        asked = vapi_deletion.request_vapi_deletion([c.pk for c in [*calls, gone]])
    delay.assert_not_called()  # not before the erasure is committed
    for callback in callbacks:
        callback()

    assert asked == 2
    assert sorted(c.args[0] for c in delay.call_args_list) == [c.pk for c in calls]
    stamps = Call.objects.filter(pk__in=[c.pk for c in calls])
    assert all(stamps.values_list("vapi_delete_requested_at", flat=True))


def test_without_a_key_deletion_is_counted_but_nothing_rung(
    mocker, configured, django_capture_on_commit_callbacks
):
    configured.VAPI_API_KEY = ""
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")
    call = _erased()

    with django_capture_on_commit_callbacks(execute=True):
        assert vapi_deletion.request_vapi_deletion([call.pk]) == 1

    delay.assert_not_called()
    call.refresh_from_db()
    assert call.vapi_delete_requested_at is None  # the sweep takes it first


def test_enqueue_swallows_broker_errors(mocker, caplog):
    mocker.patch.object(
        tasks.delete_vapi_call_data, "delay", side_effect=OSError("broker down")
    )

    assert vapi_deletion.enqueue_vapi_deletion(7) is False
    assert "the sweep will retry" in caplog.text


def test_erasing_a_caller_asks_vapi_to_delete_their_calls(
    mocker, django_capture_on_commit_callbacks
):
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")
    theirs = CallFactory.create_batch(2, caller_number="+15125550187")
    CallFactory(caller_number="+15125550133")

    with django_capture_on_commit_callbacks(execute=True):
        report = erasure.erase_caller("+15125550187")

    assert sorted(c.args[0] for c in delay.call_args_list) == [c.pk for c in theirs]
    assert report.vapi_calls == 2
    assert "VAPI's copy of 2 call(s) is being deleted." in report.summary()


def test_a_dry_run_erasure_asks_vapi_nothing(
    mocker, django_capture_on_commit_callbacks
):
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")
    CallFactory(caller_number="+15125550187")

    with django_capture_on_commit_callbacks(execute=True):
        report = erasure.erase_caller("+15125550187", dry_run=True)

    delay.assert_not_called()
    assert "VAPI's copy of 1 call(s) would be deleted." in report.summary()


def test_erasure_without_a_key_still_erases_and_says_vapi_keeps_the_calls(
    mocker, configured, django_capture_on_commit_callbacks
):
    configured.VAPI_API_KEY = ""
    delay = mocker.patch.object(tasks.delete_vapi_call_data, "delay")
    call = CallFactory(caller_number="+15125550187")

    with django_capture_on_commit_callbacks(execute=True):
        report = erasure.erase_caller("+15125550187")

    delay.assert_not_called()
    call.refresh_from_db()
    assert (call.transcript, call.purge_reason) == ("", Call.PurgeReason.ERASURE)
    assert "VAPI keeps its copy of 1 call(s) until VAPI_API_KEY is set." in (
        report.summary()
    )


def test_a_call_erased_then_deleted_at_vapi_end_to_end(
    respx_mock, mocker, django_capture_on_commit_callbacks
):
    """The task the erasure rings deletes the call at VAPI (run here in-process)."""
    mocker.patch.object(
        tasks.delete_vapi_call_data,
        "delay",
        side_effect=lambda call_id: tasks.delete_vapi_call_data(call_id),
    )
    call = CallFactory(caller_number="+15125550187")
    route = _delete_route(respx_mock, call)

    with django_capture_on_commit_callbacks(execute=True):
        erasure.erase_caller("+15125550187")

    assert route.call_count == 1
    assert _deleted_at(call) is not None


# --- The sweep ---


@pytest.fixture
def delay(mocker):
    return mocker.patch.object(tasks.delete_vapi_call_data, "delay")


def _rung(delay) -> list[int]:
    return [c.args[0] for c in delay.call_args_list]


def test_the_sweep_rings_erased_calls_vapi_still_holds(delay):
    waiting = _erased()
    _erased(vapi_deleted_at=NOW)
    _purged()  # retention: kept at VAPI unless enabled
    CallFactory()  # not erased

    assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 1

    assert _rung(delay) == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.vapi_delete_requested_at == NOW


def test_the_sweep_leaves_calls_asked_for_lately_to_their_task(delay):
    lately = _erased(vapi_delete_requested_at=NOW - dt.timedelta(minutes=5))
    long_ago = _erased(vapi_delete_requested_at=LONG_AGO)

    vapi_deletion.sweep_vapi_deletions(now=NOW)

    assert _rung(delay) == [long_ago.pk]
    lately.refresh_from_db()
    assert lately.vapi_delete_requested_at == NOW - dt.timedelta(minutes=5)


def test_the_sweep_rings_a_bounded_batch_least_recently_asked_first(delay, mocker):
    mocker.patch.object(vapi_deletion, "SWEEP_BATCH_SIZE", 2)
    asked_long_ago = _erased(vapi_delete_requested_at=LONG_AGO)
    never_asked = _erased()
    asked_later = _erased(vapi_delete_requested_at=NOW - dt.timedelta(hours=1))

    assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 2
    assert _rung(delay) == [never_asked.pk, asked_long_ago.pk]

    # Calls VAPI keeps refusing go to the back: the others get their turn.
    delay.reset_mock()
    vapi_deletion.sweep_vapi_deletions(now=NOW + dt.timedelta(hours=1))
    assert _rung(delay) == [asked_later.pk, asked_long_ago.pk]


def test_with_purged_calls_enabled_erasures_come_first(delay, mocker, configured):
    configured.VAPI_DELETE_PURGED_CALLS = True
    mocker.patch.object(vapi_deletion, "SWEEP_BATCH_SIZE", 2)
    purged = [_purged(), _purged()]
    erased = _erased()

    vapi_deletion.sweep_vapi_deletions(now=NOW)

    assert _rung(delay) == [erased.pk, purged[0].pk]


def test_the_sweep_stops_at_the_first_failed_enqueue(delay):
    delay.side_effect = OSError("broker down")
    _erased()
    _erased()

    assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 0

    assert delay.call_count == 1
    assert not Call.objects.filter(vapi_delete_requested_at__isnull=False).exists()


def test_without_a_key_the_sweep_rings_nothing_and_logs_once(delay, configured, caplog):
    configured.VAPI_API_KEY = ""
    _erased()
    _erased()

    assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 0

    delay.assert_not_called()
    (record,) = [r for r in caplog.records if r.name == vapi_deletion.__name__]
    assert record.getMessage() == (
        "2 call(s) wait for deletion at VAPI, but VAPI_API_KEY is not set"
    )


def test_without_a_key_and_nothing_waiting_the_sweep_is_silent(
    delay, configured, caplog
):
    configured.VAPI_API_KEY = ""

    assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 0

    assert not [r for r in caplog.records if r.name == vapi_deletion.__name__]


def test_the_sweep_finds_its_batch_in_a_query_per_kind(
    delay, django_assert_max_num_queries
):
    for _ in range(5):
        _erased()
        _declined()

    # Erasures, then declined recordings, then one UPDATE: whatever the number.
    with django_assert_max_num_queries(3):
        assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 10


def test_a_call_is_awaiting_deletion_only_while_vapi_holds_it(configured):
    assert vapi_deletion.is_awaiting_vapi_deletion(_erased())
    assert not vapi_deletion.is_awaiting_vapi_deletion(_erased(vapi_deleted_at=NOW))
    assert not vapi_deletion.is_awaiting_vapi_deletion(_purged())
    assert not vapi_deletion.is_awaiting_vapi_deletion(CallFactory())
    configured.VAPI_DELETE_PURGED_CALLS = True
    assert vapi_deletion.is_awaiting_vapi_deletion(_purged())


# --- Calls whose caller declined recording ---


def _declined(**fields) -> Call:
    fields = {
        "recording_declined_at": NOW - dt.timedelta(minutes=5),
        "analysis_status": Call.AnalysisStatus.PENDING,  # the report is on file
        **fields,
    }
    return CallFactory(**fields)


def test_a_declined_call_is_deleted_at_vapi_once_its_report_is_on_file(respx_mock):
    call = _declined(transcript="AI: Hello.")
    route = _delete_route(respx_mock, call)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is True

    assert route.call_count == 1
    call.refresh_from_db()
    assert call.vapi_deleted_at is not None
    assert call.transcript == "AI: Hello."  # our own record stays


def test_a_declined_call_waits_for_its_report(respx_mock):
    call = _declined(analysis_status=Call.AnalysisStatus.NOT_STARTED)

    assert vapi_deletion.delete_vapi_call_data(call.pk) is False
    assert not vapi_deletion.is_awaiting_vapi_deletion(call)


def test_the_sweep_rings_declined_calls_after_erasures(delay):
    declined = _declined()
    erased = _erased()
    _declined(vapi_deleted_at=NOW)
    CallFactory(analysis_status=Call.AnalysisStatus.PENDING)  # recording accepted

    assert vapi_deletion.sweep_vapi_deletions(now=NOW) == 2

    assert _rung(delay) == [erased.pk, declined.pk]
    assert vapi_deletion.is_awaiting_vapi_deletion(declined)
