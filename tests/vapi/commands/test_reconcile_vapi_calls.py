import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.calls.models import Call, WebhookEvent
from tests.vapi.payloads.vapi_api import (
    CALL_ID,
    PHONE_NUMBER_ID,
    call_in_progress,
    ended_call,
)

pytestmark = pytest.mark.django_db


def reconcile(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("reconcile_vapi_calls", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def hours_ago(hours):
    return timezone.now() - dt.timedelta(hours=hours)


def test_a_lost_report_is_ingested_once_and_the_second_run_ingests_none(
    fake_vapi, salon, django_capture_on_commit_callbacks
):
    fake_vapi.add_call(ended_call(ended_at=hours_ago(2)))
    fake_vapi.add_call(call_in_progress("live", started_at=hours_ago(0.05)))

    with django_capture_on_commit_callbacks(execute=True):
        first, progress = reconcile("--since", "24h")
    second, _ = reconcile("--since", "24h")

    assert first.startswith(
        "Ingested 1 missing end-of-call report(s) from 2 VAPI call(s)"
    )
    assert first.rstrip().endswith(
        "0 already received, 1 not ended, 0 ended too recently, 0 failed."
    )
    assert "Ingested 0 missing" in second and "1 already received" in second
    assert progress.splitlines()[-1].endswith("Checked 2/2 call(s)")
    assert Call.objects.get(vapi_call_id=CALL_ID).business == salon
    assert WebhookEvent.objects.count() == 1


def test_dry_run_writes_nothing(fake_vapi, salon):
    fake_vapi.add_call(ended_call(ended_at=hours_ago(2)))

    out, _ = reconcile("--since", "1d", "--dry-run")

    assert out.startswith("Would ingest 1 missing end-of-call report(s)")
    assert not WebhookEvent.objects.exists()


def test_iso_bounds_are_sent_to_vapi_as_utc(fake_vapi):
    reconcile("--since", "2025-03-14T10:00-05:00", "--until", "2025-03-14T16:00")

    assert fake_vapi.call_queries == [
        {
            "createdAtGe": "2025-03-14T15:00:00.000Z",
            "createdAtLt": "2025-03-14T16:00:00.000Z",
            "limit": "1000",
        }
    ]


def test_business_asks_only_for_its_numbers(fake_vapi, salon):
    reconcile("--business", "maison-belle")

    assert [q["phoneNumberId"] for q in fake_vapi.call_queries] == [PHONE_NUMBER_ID]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "neither an age like 24h nor an ISO datetime"),
        (["--since", "1h", "--until", "2h"], "--since must be before --until"),
        (["--business", "nope"], "No business with slug 'nope'"),
    ],
)
def test_bad_options_are_errors(fake_vapi, args, message):
    with pytest.raises(CommandError, match=message):
        reconcile(*args)


def test_a_missing_api_key_is_an_error(vapi_api_settings):
    vapi_api_settings.VAPI_API_KEY = ""

    with pytest.raises(CommandError, match="VAPI_API_KEY is not set"):
        reconcile()


def test_a_vapi_outage_is_an_error(fake_vapi):
    fake_vapi.fail(500, {"message": "Internal server error", "statusCode": 500})

    with pytest.raises(CommandError, match="answered 500: Internal server error"):
        reconcile()


def test_a_report_that_fails_processing_fails_the_command(fake_vapi, salon, mocker):
    mocker.patch(
        "apps.leads.services.get_or_create_lead_for_caller",
        side_effect=RuntimeError("lead table locked"),
    )
    fake_vapi.add_call(ended_call(ended_at=hours_ago(2)))

    with pytest.raises(CommandError, match=f"Not ingested: {CALL_ID}: RuntimeError"):
        reconcile()
