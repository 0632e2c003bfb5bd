"""A transfer's outcome recorded on the call from VAPI's messages (issue #16)."""

import copy

import pytest

from apps.calls.models import Call
from apps.vapi import call_records, protocol
from tests.calls.factories import CallFactory
from tests.leads.factories import CallbackRequestFactory
from tests.vapi.payloads import load_payload

pytestmark = pytest.mark.django_db
Status = Call.TransferStatus
DESTINATION = {
    "type": "number",
    "number": "+15125550100",
    "description": "Front desk: bookings",
}


def message(call: Call, kind: str, **fields) -> protocol.VapiMessage:
    body = copy.deepcopy(load_payload("02-status-update-in-progress"))
    body["message"].pop("status", None)
    body["message"].update(type=kind, **fields)
    body["message"]["call"]["id"] = call.vapi_call_id
    body["message"]["timestamp"] = body["message"].get("timestamp", 0) + len(kind)
    return protocol.parse(body)


def status(call: Call, value: str, **fields) -> protocol.VapiMessage:
    return message(call, "status-update", status=value, **fields)


def test_a_transfer_update_records_where_to(db):
    call = CallFactory(vapi_call_id="transfer-1")
    call_records.update_call(message(call, "transfer-update", destination=DESTINATION))
    call.refresh_from_db()
    assert call.transfer_status == Status.REQUESTED
    assert call.transfer_destination == "Front desk (+15125550100)"


def test_forwarded_then_ended_is_connected(db):
    call = CallFactory(vapi_call_id="transfer-2")
    call_records.update_call(status(call, "forwarding", destination=DESTINATION))
    call_records.update_call(
        status(call, "ended", endedReason="assistant-forwarded-call")
    )
    call.refresh_from_db()
    assert call.transfer_status == Status.CONNECTED


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("call.forwarding.operator-busy", Status.BUSY),
        ("call.forwarding.no-answer", Status.NO_ANSWER),
        ("call.in-progress.error-transfer-failed", Status.FAILED),
    ],
)
def test_a_failed_transfer_says_how(db, reason, outcome):
    call = CallFactory(vapi_call_id=f"transfer-{reason}")
    call_records.update_call(status(call, "forwarding", destination=DESTINATION))
    call_records.update_call(status(call, "ended", endedReason=reason))
    call.refresh_from_db()
    assert call.transfer_status == outcome


def test_a_transfer_that_fell_back_to_a_message(db):
    call = CallFactory(vapi_call_id="transfer-fallback")
    call_records.update_call(message(call, "transfer-update", destination=DESTINATION))
    CallbackRequestFactory(business=call.business, call=call)
    call_records.update_call(status(call, "ended", endedReason="customer-ended-call"))
    call.refresh_from_db()
    assert call.transfer_status == Status.FELL_BACK


def test_a_late_transfer_update_never_undoes_the_outcome(db):
    call = CallFactory(vapi_call_id="transfer-late")
    call_records.update_call(
        status(call, "ended", endedReason="assistant-forwarded-call")
    )
    call_records.update_call(message(call, "transfer-update", destination=DESTINATION))
    call.refresh_from_db()
    assert call.transfer_status == Status.CONNECTED


def test_a_call_without_transfer_records_none(db):
    call = CallFactory(vapi_call_id="no-transfer")
    call_records.update_call(status(call, "ended", endedReason="customer-ended-call"))
    call.refresh_from_db()
    assert call.transfer_status == ""
