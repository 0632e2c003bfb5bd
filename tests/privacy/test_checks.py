import pytest
from django.core import checks
from django.utils import timezone

from apps.calls.models import Call
from apps.core import probes
from apps.privacy.checks import check_vapi_deletions
from tests.calls.factories import CallFactory

pytestmark = pytest.mark.django_db


def _erased_call(**fields):
    return CallFactory(
        purged_at=timezone.now(), purge_reason=Call.PurgeReason.ERASURE, **fields
    )


def test_erased_calls_vapi_keeps_without_a_key_are_a_warning_with_the_fix(settings):
    settings.VAPI_API_KEY = ""
    settings.VAPI_DELETE_PURGED_CALLS = False
    _erased_call()
    _erased_call(vapi_deleted_at=timezone.now())

    [message] = check_vapi_deletions()

    assert (message.id, message.level) == ("privacy.W001", checks.WARNING)
    assert message.msg == (
        "VAPI copies of erased calls: VAPI still holds the recording and transcript "
        "of 1 erased call(s): without VAPI_API_KEY they cannot be deleted there."
    )
    assert message.hint.startswith("Set VAPI_API_KEY")


def test_erased_calls_waiting_with_a_key_pass(settings):
    settings.VAPI_API_KEY = "vapi-private-key"
    settings.VAPI_DELETE_PURGED_CALLS = True
    _erased_call()
    CallFactory(purged_at=timezone.now(), purge_reason=Call.PurgeReason.RETENTION)

    assert check_vapi_deletions() == [
        checks.Info(
            "VAPI copies of erased calls: 2 erased or purged call(s) being deleted "
            "at VAPI",
            id="privacy.I001",
        )
    ]


def test_calls_whose_caller_declined_recording_count_as_the_sweep_counts_them(
    settings,
):
    settings.VAPI_API_KEY = ""
    settings.VAPI_DELETE_PURGED_CALLS = False
    _erased_call()
    CallFactory(
        recording_declined_at=timezone.now(),
        analysis_status=Call.AnalysisStatus.PENDING,
    )
    CallFactory(recording_declined_at=timezone.now())  # no report yet: not due

    [message] = check_vapi_deletions()

    assert message.id == "privacy.W001"
    assert "of 2 erased or recording-declined call(s)" in message.msg


def test_no_erased_call_waiting_says_nothing(settings):
    settings.VAPI_API_KEY = ""
    settings.VAPI_DELETE_PURGED_CALLS = False
    CallFactory(purged_at=timezone.now(), purge_reason=Call.PurgeReason.RETENTION)

    assert check_vapi_deletions() == []


def test_the_doctor_probes_include_erased_calls_vapi_keeps(settings):
    settings.VAPI_API_KEY = ""
    _erased_call()

    found = [message.id for message in probes.run_probes(offline=True)]

    assert "privacy.W001" in found
