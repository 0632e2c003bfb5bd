"""How a transfer went, recorded on the call from VAPI's messages, for staff to see.

- `transfer-update` (subscribed in the assistant's serverMessages): a transfer
  started, to this destination.
- `status-update` with status `forwarding`: VAPI is dialling the destination.
- The ended reason settles it: `assistant-forwarded-call` means the caller was
  put through; `call.forwarding.operator-busy` / `call.forwarding.no-answer` and the
  warm-transfer and transfer errors mean it failed. A transfer that failed on a call
  that went on afterwards (VAPI's fallbackPlan hands the caller back to Roxy) and
  left a message is `fell_back`.

Statuses only move forward (a late `transfer-update` never undoes "connected").
"""

from typing import Any

from django.utils import timezone

from apps.calls.models import Call
from apps.leads.models import CallbackRequest

TRANSFER_UPDATE = "transfer-update"
Status = Call.TransferStatus

FAILED_ENDINGS = {
    "call.forwarding.operator-busy": Status.BUSY,
    "call.forwarding.no-answer": Status.NO_ANSWER,
    "call.in-progress.error-transfer-failed": Status.FAILED,
    "call.in-progress.error-warm-transfer-max-duration": Status.NO_ANSWER,
    "call.in-progress.error-warm-transfer-silence-timeout": Status.NO_ANSWER,
    "call.in-progress.error-warm-transfer-microphone-timeout": Status.NO_ANSWER,
    "call.in-progress.error-warm-transfer-assistant-cancelled": Status.FAILED,
    "customer-ended-call-after-warm-transfer-attempt": Status.NO_ANSWER,
}
CONNECTED_ENDINGS = {"assistant-forwarded-call"}
# Outcomes after which nothing VAPI says later changes the record.
FINAL = {
    Status.CONNECTED,
    Status.NO_ANSWER,
    Status.BUSY,
    Status.FAILED,
    Status.FELL_BACK,
}


def apply_transfer_update(call: Call, message: Any) -> list[str]:
    """A transfer started (`transfer-update`): note where to. Returns changed fields."""
    return _set(call, Status.REQUESTED, destination_label(message.body))


def apply_status(call: Call, message: Any) -> list[str]:
    """`status-update`: forwarding starts a transfer; an ended reason may settle it."""
    if message.status == Call.Status.FORWARDING:
        return _set(call, Status.REQUESTED, destination_label(message.body))
    return apply_ending(call, message.ended_reason)


def apply_ending(call: Call, ended_reason: str) -> list[str]:
    """The call ended with `ended_reason`: settle a transfer it shows. Idempotent."""
    if ended_reason in CONNECTED_ENDINGS:
        return _set(call, Status.CONNECTED)
    if ended_reason in FAILED_ENDINGS:
        return _set(call, FAILED_ENDINGS[ended_reason])
    if call.transfer_status == Status.REQUESTED and ended_reason:
        # Started, and the call went on to end some other way: it did not connect.
        if _left_a_message(call):
            return _set(call, Status.FELL_BACK)
        return _set(call, Status.FAILED)
    return []


def destination_label(body: dict[str, Any]) -> str:
    """'Front desk (+15125550100)' from a message's destination, or ""."""
    destination = body.get("destination")
    if not isinstance(destination, dict):
        return ""
    number = str(destination.get("number") or destination.get("sipUri") or "")
    description = str(destination.get("description") or "")
    name = description.split(":", 1)[0].strip()
    label = f"{name} ({number})" if name and number else name or number
    return label[:120]


def _set(call: Call, status: str, destination: str = "") -> list[str]:
    if (
        call.transfer_status in FINAL
        or call.transfer_status == status
        and not (destination and destination != call.transfer_destination)
    ):
        return []
    call.transfer_status = status
    call.transfer_updated_at = timezone.now()
    changed = ["transfer_status", "transfer_updated_at"]
    if destination:
        call.transfer_destination = destination
        changed.append("transfer_destination")
    return changed


def _left_a_message(call: Call) -> bool:
    return call.pk is not None and CallbackRequest.objects.filter(call=call).exists()
