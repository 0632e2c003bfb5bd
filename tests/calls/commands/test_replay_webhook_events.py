import io

import pytest
from django.core.management import CommandError, call_command

from apps.calls import services, vapi
from apps.calls.models import Call, WebhookEvent
from tests.businesses.factories import VapiPhoneNumberFactory
from tests.calls.payloads import PHONE_NUMBER_ID, SALON_LINE, load_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_status_update(monkeypatch):
    VapiPhoneNumberFactory(vapi_phone_number_id=PHONE_NUMBER_ID, number=SALON_LINE)

    def broken(message):
        raise RuntimeError("database blip")

    with monkeypatch.context() as patch:
        patch.setitem(services.CALL_UPDATES, vapi.STATUS_UPDATE, broken)
        services.receive_vapi_message(
            vapi.parse(load_payload("10-status-update-ended"))
        )
    return WebhookEvent.objects.get(type=vapi.STATUS_UPDATE)


def _run(*args):
    out = io.StringIO()
    call_command("replay_webhook_events", *args, stdout=out)
    return out.getvalue().strip()


def test_replaying_failed_events_applies_them_once(failed_status_update):
    assert failed_status_update.status == WebhookEvent.Status.FAILED
    assert (
        _run("--failed") == "Replayed 1 event(s); 0 still failing, 0 already processed."
    )
    assert Call.objects.get().status == Call.Status.ENDED
    assert (
        _run("--failed") == "Replayed 0 event(s); 0 still failing, 0 already processed."
    )
    assert _run(str(failed_status_update.pk)) == (
        "Replayed 0 event(s); 0 still failing, 1 already processed."
    )


def test_dry_run_changes_nothing(failed_status_update):
    assert _run("--since", "1h", "--dry-run") == "Would replay 1 of 1 event(s)."
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
