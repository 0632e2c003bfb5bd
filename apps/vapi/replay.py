"""Processing stored VAPI events again: those that failed or never finished.

The webhook's second door: the same handling as a fresh message (apps.vapi.intake),
applied to an event already stored, whose outcome is then written on it.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.calls.models import WebhookEvent
from apps.core.logging import vapi_call_context
from apps.vapi import call_records, protocol
from apps.vapi.intake import _finish, _handle, _HandlingFailed

logger = logging.getLogger(__name__)


def process_webhook_event(
    event: WebhookEvent, message: protocol.VapiMessage
) -> dict[str, Any]:
    """Apply a stored message again (a replay) and answer it; the outcome goes on the event.

    One transaction, as for a fresh message (see _handle); a failure is recorded
    on the event and still answered (see fallback_answer).
    """

    try:
        return _handle(message, claim=lambda: event)
    except _HandlingFailed as failure:
        _record_failure(event, message, response=failure.answer, error=failure.error)
        return failure.answer


def _record_failure(
    event: WebhookEvent, message: protocol.VapiMessage, *, response: dict, error: str
) -> None:
    """Mark the event failed; when only the handler failed, the call is still recorded."""
    try:
        with transaction.atomic():
            # For these types the call is only found or created: nothing failed there.
            call = (
                call_records.update_call(message)
                if message.type in protocol.ANSWERED_TYPES
                else None
            )
            _finish(
                event,
                WebhookEvent.Status.FAILED,
                call=call,
                response=response,
                error=error,
            )
    except Exception:
        logger.exception(
            "VAPI %s: call not recorded (event %s)", message.type, event.pk
        )
        _finish(
            event, WebhookEvent.Status.FAILED, call=None, response=response, error=error
        )


@dataclass(frozen=True)
class ReplayReport:
    replayed: int = 0
    failed: int = 0
    skipped: int = 0


def replay_webhook_events(events) -> ReplayReport:
    """Process stored events again that failed or never finished; others are skipped.

    Idempotent: a processed event is never applied twice, and tool calls keep their
    once-only ToolInvocation, so replaying the same events again changes nothing.
    """
    replayed = failed = skipped = 0
    for event in events.order_by("received_at", "pk").iterator():
        if event.status not in (
            WebhookEvent.Status.FAILED,
            WebhookEvent.Status.RECEIVED,
        ):
            skipped += 1
            continue
        with vapi_call_context(event.vapi_call_id):
            try:
                message = protocol.parse(event.payload)
            except protocol.VapiPayloadError as exc:
                _finish(
                    event,
                    WebhookEvent.Status.FAILED,
                    call=None,
                    response={},
                    error=str(exc),
                )
                failed += 1
                continue
            process_webhook_event(event, message)
        event.refresh_from_db(fields=["status"])
        if event.status == WebhookEvent.Status.PROCESSED:
            replayed += 1
        else:
            failed += 1
    return ReplayReport(replayed, failed, skipped)
