"""simulate_call --scenario transfer-fallback: a transfer nobody answers ends in a
message, and the call records the transfer as fell back (issue #16)."""

import pytest

from apps.calls.models import Call
from apps.leads.models import CallbackRequest
from tests.vapi.commands.test_simulate_call import demo, simulate, the_call  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]


@pytest.mark.parametrize(
    ("business", "destination"),
    [
        ("clinica-sol", "Recepción (+13055550171)"),  # its first listed destination
        ("maison-belle", "Front desk (+15125550100)"),  # its single transfer line
    ],
)
def test_a_transfer_nobody_answers_falls_back_to_a_message(demo, business, destination):  # noqa: F811
    output = simulate("--business", business, "--scenario", "transfer-fallback")

    call = the_call()
    assert "transfer-update → 200" in output
    assert CallbackRequest.objects.filter(call=call).exists()
    assert call.transfer_status == Call.TransferStatus.FELL_BACK
    assert call.transfer_destination == destination
