import io

import pytest
from django.core.management import CommandError, call_command

from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.demo.services import seed_demo_business
from apps.leads.models import Lead
from apps.notifications.models import Notification
from apps.vapi import intake, protocol
from tests.leads.factories import CallbackRequestFactory
from tests.vapi.payloads import CALL_ID, load_payload

pytestmark = pytest.mark.django_db

DANA = "+15125550187"


@pytest.fixture
def demo():
    """The demo salon after Dana's example call came in through the webhook."""
    business = seed_demo_business(password="demo-pass").business
    for name in (
        "01-assistant-request",
        "02-status-update-in-progress",
        "06-tool-calls-capture-lead",
        "07-transcript",
        "11-end-of-call-report",
    ):
        intake.receive_vapi_message(protocol.parse(load_payload(name)))
    CallbackRequestFactory(
        business=business, lead=Lead.objects.get(phone=DANA), callback_number=DANA
    )
    return business


def _run(*args):
    out = io.StringIO()
    call_command("erase_caller", *args, stdout=out)
    return out.getvalue().splitlines()


def test_erases_the_caller_and_prints_what_went_from_each_table(demo, settings):
    settings.VAPI_API_KEY = ""
    marcus_before = list(Lead.objects.filter(phone="+15125550133").values())
    out = _run("--phone", "512.555.0187")
    assert out == [
        "  leads                   1 deleted",
        "  callback requests       1 deleted",
        "  calls                   2 anonymised (row kept)",
        "  appointments            1 anonymised (row kept)",
        "  tool invocations        1 deleted",
        "  webhook events          5 deleted",
        "  notifications           2 deleted",
        "  notifications           0 redacted (mentions of them blanked)",
        "Erased +15125550187 from every business: 10 row(s) deleted, 3 anonymised, "
        "0 redacted. VAPI keeps its copy of 2 call(s) until VAPI_API_KEY is set. "
        "1 upcoming appointment(s) stay booked without a name: cancel them in the "
        "admin if they are off.",
    ]
    assert not Lead.objects.filter(phone=DANA).exists()
    assert not Call.objects.filter(caller_number=DANA).exists()
    assert Call.objects.get(vapi_call_id=CALL_ID).transcript == ""
    assert not WebhookEvent.objects.filter(vapi_call_id=CALL_ID).exists()
    assert not ToolInvocation.objects.filter(call__vapi_call_id=CALL_ID).exists()
    assert not Notification.objects.filter(recipient=DANA).exists()
    assert list(Lead.objects.filter(phone="+15125550133").values()) == marcus_before


def test_a_dry_run_prints_the_same_report_and_changes_nothing(demo):
    out = _run("--phone", DANA, "--dry-run")
    assert out[0] == "  leads                   1 deleted"
    assert out[-1].startswith("Would erase +15125550187 from every business: 10 row(s)")
    assert Lead.objects.filter(phone=DANA).exists()
    assert WebhookEvent.objects.filter(vapi_call_id=CALL_ID).count() == 5


@pytest.mark.parametrize("dry_run", [False, True])
def test_vapi_is_asked_to_delete_the_calls_once_the_erasure_is_committed(
    demo, settings, mocker, django_capture_on_commit_callbacks, dry_run
):
    settings.VAPI_API_KEY = "vapi-private-key"
    delay = mocker.patch("apps.privacy.tasks.delete_vapi_call_data.delay")
    calls = list(
        Call.objects.filter(caller_number=DANA)
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    with django_capture_on_commit_callbacks(execute=True):
        out = _run("--phone", DANA, *(["--dry-run"] if dry_run else []))

    if dry_run:
        delay.assert_not_called()
        assert "VAPI's copy of 2 call(s) would be deleted." in out[-1]
    else:
        assert sorted(c.args[0] for c in delay.call_args_list) == calls
        assert "VAPI's copy of 2 call(s) is being deleted." in out[-1]


def test_one_business_only(demo):
    out = _run("--phone", DANA, "--business", "maison-belle")
    assert out[-1].startswith("Erased +15125550187 from maison-belle:")


def test_nothing_on_file_is_refused(demo):
    _run("--phone", DANA)
    with pytest.raises(
        CommandError, match="Nothing on file for \\+15125550187; nothing erased."
    ):
        _run("--phone", DANA)


def test_a_number_that_is_not_one_is_refused(demo):
    with pytest.raises(CommandError, match="not a possible phone number"):
        _run("--phone", "555")


def test_the_phone_is_required():
    with pytest.raises(CommandError, match="--phone"):
        _run()


def test_an_unknown_business_is_refused(demo):
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        _run("--phone", DANA, "--business", "nope")
