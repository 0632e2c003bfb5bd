import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.calls.models import Call, WebhookEvent
from apps.vapi import call_records, intake, protocol
from apps.vapi.management.commands import replay_webhook_events
from tests.businesses.factories import VapiPhoneNumberFactory
from tests.calls.factories import WebhookEventFactory
from tests.vapi.payloads import PHONE_NUMBER_ID, SALON_LINE, load_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_status_update(monkeypatch):
    VapiPhoneNumberFactory(vapi_phone_number_id=PHONE_NUMBER_ID, number=SALON_LINE)

    def broken(message):
        raise RuntimeError("database blip")

    with monkeypatch.context() as patch:
        patch.setitem(call_records.CALL_UPDATES, protocol.STATUS_UPDATE, broken)
        intake.receive_vapi_message(
            protocol.parse(load_payload("10-status-update-ended"))
        )
    return WebhookEvent.objects.get(type=protocol.STATUS_UPDATE)


def _run(*args, stderr=None):
    out = io.StringIO()
    call_command("replay_webhook_events", *args, stdout=out, stderr=stderr)
    return out.getvalue().strip()


def test_replaying_failed_events_applies_them_once(failed_status_update):
    assert failed_status_update.status == WebhookEvent.Status.FAILED
    assert _run("--failed") == (
        "Replayed 1 of 1 event(s): 0 still failing, 0 already processed."
    )
    assert Call.objects.get().status == Call.Status.ENDED
    assert _run("--failed") == (
        "Replayed 0 of 0 event(s): 0 still failing, 0 already processed."
    )
    assert _run(str(failed_status_update.pk)) == (
        "Replayed 0 of 1 event(s): 0 still failing, 1 already processed."
    )


def test_progress_goes_to_stderr_a_chunk_at_a_time(failed_status_update, monkeypatch):
    monkeypatch.setattr(replay_webhook_events, "CHUNK_SIZE", 2)
    WebhookEventFactory.create_batch(4, status=WebhookEvent.Status.PROCESSED)
    err = io.StringIO()
    out = _run("--since", "1h", stderr=err)
    # One line each when stderr is not a terminal (a log, here).
    assert err.getvalue() == (
        "\rChecked 2/5 event(s)\n\rChecked 4/5 event(s)\n\rChecked 5/5 event(s)\n"
    )
    assert out == "Replayed 1 of 5 event(s): 0 still failing, 4 already processed."


def test_chunks_replay_the_events_oldest_first(monkeypatch):
    monkeypatch.setattr(replay_webhook_events, "CHUNK_SIZE", 2)
    now = timezone.now()
    for n in range(5):  # inserted newest first, so ids run against time
        event = WebhookEventFactory(status="failed", payload={"n": n})
        WebhookEvent.objects.filter(pk=event.pk).update(
            received_at=now - dt.timedelta(minutes=n + 1)
        )
    parsed = []

    def parse(payload):
        parsed.append(payload["n"])
        raise protocol.VapiPayloadError("not a message")

    monkeypatch.setattr(protocol, "parse", parse)
    with pytest.raises(CommandError, match="5 event\\(s\\) still fail"):
        _run("--failed")
    assert parsed == [4, 3, 2, 1, 0]


def test_dry_run_changes_nothing(failed_status_update):
    err = io.StringIO()
    assert _run("--since", "1h", "--dry-run", stderr=err) == (
        "Would replay 1 of 1 event(s)."
    )
    assert err.getvalue() == ""
    failed_status_update.refresh_from_db()
    assert failed_status_update.status == WebhookEvent.Status.FAILED


def test_events_that_still_fail_exit_non_zero(failed_status_update):
    WebhookEvent.objects.filter(pk=failed_status_update.pk).update(
        payload={"no": "message"}
    )
    with pytest.raises(CommandError, match="1 event\\(s\\) still fail"):
        _run("--failed")


def test_it_needs_a_selection():
    with pytest.raises(CommandError, match="Name event ids"):
        _run()


def test_a_bad_window_is_refused():
    with pytest.raises(CommandError, match="neither an age"):
        _run("--since", "yesterday-ish")
