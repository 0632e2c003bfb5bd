"""Twilio's delivery reports for our texts: each moves its Notification forward.

Twilio posts every step (queued, sending, sent, delivered / failed / undelivered),
possibly out of order and more than once; only forward moves apply
(notifications.delivery.apply_delivery_status, as for email events), so a late
"sent" never hides a "delivered" and a repeat changes nothing. A failure keeps
Twilio's error code with what it means, for staff.
"""

import logging

from apps.notifications import consent, delivery
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)

S = Notification.Status
TWILIO_STATUSES = {
    "delivered": S.DELIVERED,
    "failed": S.FAILED,
    "undelivered": S.UNDELIVERED,
}
# The codes staff meet most, from Twilio's error dictionary.
ERROR_MEANINGS = {
    "21610": "the customer replied STOP; Twilio blocks texts to them",
    "21614": "not a mobile number",
    "30003": "phone off or out of reach",
    "30004": "the number blocks texts",
    "30005": "unknown or inactive number",
    "30006": "a landline, or a carrier that can't take texts",
    "30007": "filtered by the carrier as spam",
    "30008": "unknown error at the carrier",
    "30034": "sending number not registered for A2P 10DLC",
}
UNSUBSCRIBED = "21610"


def record(params: dict[str, str]) -> Notification | None:
    """Apply one status callback to the text it is about. Idempotent."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = TWILIO_STATUSES.get((params.get("MessageStatus") or "").lower())
    if not sid or status is None:
        return None  # queued / sending / sent: our row already says as much
    code = (params.get("ErrorCode") or "").strip()
    notification = delivery.apply_delivery_status(
        Notification.Channel.SMS,
        sid,
        status,
        last_error=describe(status, code, params.get("ErrorMessage", "")),
    )
    if notification is not None and code == UNSUBSCRIBED:
        _record_carrier_opt_out(notification)
    return notification


def describe(status: str, code: str, message: str = "") -> str:
    label = "Undelivered" if status == S.UNDELIVERED else "Failed"
    if not code:
        return f"{label} (Twilio gave no reason)."
    meaning = ERROR_MEANINGS.get(code) or message or "see Twilio's error dictionary"
    return f"{label}: Twilio error {code}, {meaning}."


def _record_carrier_opt_out(notification: Notification) -> None:
    if consent.is_opted_out(notification.business_id, notification.recipient):
        return
    consent.set_consent(
        notification.business,
        notification.recipient,
        status=consent.Status.OPTED_OUT,
        source=consent.Source.PROVIDER,
        reason="Twilio error 21610: the number had replied STOP to our sender.",
    )
