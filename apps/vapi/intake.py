"""Receiving VAPI server messages: store the raw event, update the call, answer VAPI."""

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.businesses.models import Business
from apps.calls import post_call
from apps.calls.models import PURGED, Call, WebhookEvent
from apps.core.logging import vapi_call_context
from apps.core.transactions import savepoint_if_nested
from apps.roxy import assistant, tools
from apps.vapi import call_records, protocol

logger = logging.getLogger(__name__)

# The messages VAPI waits on, and the Roxy handler that answers each.
RESPONDERS: dict[str, Callable[..., dict[str, Any]]] = {
    protocol.ASSISTANT_REQUEST: assistant.answer_assistant_request,
    protocol.TOOL_CALLS: tools.answer_tool_calls,
    protocol.FUNCTION_CALL: tools.answer_tool_calls,
    protocol.TRANSFER_DESTINATION_REQUEST: assistant.answer_transfer_destination_request,
}
TOOL_FAILURE = (
    "This could not be done just now because of a problem on our side. "
    "Apologise and offer to take a message for the team."
)
TOOL_MESSAGES = frozenset({protocol.TOOL_CALLS, protocol.FUNCTION_CALL})
DELETION_NOTICES = frozenset({protocol.CALL_DELETED, protocol.CALL_DELETE_FAILED})
_POLL_SECONDS = 0.1


def receive_vapi_message(message: protocol.VapiMessage) -> dict[str, Any]:
    """Store a VAPI message once, apply it to its call and return VAPI's answer.

    Idempotent: a redelivered message changes nothing and gets the first answer.
    """
    if message.type in DELETION_NOTICES:
        return record_deletion_notice(message)
    if message.type not in call_records.CALL_UPDATES:
        # Chatty or unknown types: stored for the record (once), nothing else to do.
        record_webhook_event(message, status=WebhookEvent.Status.IGNORED, response={})
        return {}
    event, created = record_webhook_event(message)
    if not created:
        return _stored_answer(event, message)
    return process_webhook_event(event, message)


def record_webhook_event(
    message: protocol.VapiMessage,
    *,
    status: str = WebhookEvent.Status.RECEIVED,
    response: dict[str, Any] | None = None,
    call: Call | None = None,
) -> tuple[WebhookEvent, bool]:
    """Store the raw message in its own transaction, before any handler can fail.

    Returns (event, created); an existing event with the same dedupe key means a
    redelivery, and its payload is not loaded.
    """
    done = status != WebhookEvent.Status.RECEIVED
    try:
        # Outside a transaction (the webhook's case) the INSERT commits on its own.
        with savepoint_if_nested():
            event = WebhookEvent.objects.create(
                dedupe_key=message.dedupe_key,
                type=message.type,
                vapi_call_id=message.call_id,
                call=call,
                payload=message.raw,
                status=status,
                response=response,
                processed_at=timezone.now() if done else None,
            )
    except IntegrityError:
        # The unique key decides between concurrent copies; the loser waited for
        # the winner's commit, so the row is there to read.
        event = WebhookEvent.objects.defer("payload").get(dedupe_key=message.dedupe_key)
        logger.info("VAPI %s redelivered (event %s)", message.type, event.pk)
        return event, False
    logger.info("VAPI %s stored (event %s)", message.type, event.pk)
    return event, True


def record_deletion_notice(message: protocol.VapiMessage) -> dict[str, Any]:
    """Store VAPI's word that it deleted a call (stamped on our call) or failed to.

    Idempotent; a look-up, an INSERT and at most an UPDATE. The call's data VAPI
    sends along is not stored: it is the copy being deleted, usually of a caller
    erased here.
    """
    call = None
    if message.call_id:
        calls = Call.objects.only("pk", "vapi_deleted_at")
        try:
            call = calls.get(vapi_call_id=message.call_id)
        except Call.DoesNotExist:
            pass
    status = WebhookEvent.Status.PROCESSED if call else WebhookEvent.Status.IGNORED
    notice = replace(message, raw=_notice_without_call_data(message))
    _, created = record_webhook_event(notice, status=status, response={}, call=call)
    if message.type == protocol.CALL_DELETE_FAILED:
        if created:
            logger.warning(
                "VAPI could not delete call %s (ours: %s); it still holds the "
                "recording and transcript",
                message.call_id,
                call.pk if call else "unknown",
            )
    elif call is not None and call.vapi_deleted_at is None:
        call.mark_deleted_at_vapi()
    return {}


def _notice_without_call_data(message: protocol.VapiMessage) -> dict[str, Any]:
    notice = {"type": message.type}
    if "timestamp" in message.body:
        notice["timestamp"] = message.body["timestamp"]
    if message.call_id:
        notice["call"] = {"id": message.call_id}
    return {"message": notice}


def process_webhook_event(
    event: WebhookEvent, message: protocol.VapiMessage
) -> dict[str, Any]:
    """Apply a freshly stored message to its call and answer it; the outcome goes on the event.

    One transaction and one commit: what the message changes on its call, the
    handler's work and the answer stored on the event land together or not at all;
    the raw event is committed already. Tool calls are the exception: each tool
    call commits its own outcome (apps.roxy.tools), so a crash before the answer
    is stored leaves the event RECEIVED, and its replay hears the stored outcomes
    again. A failure is recorded on the event and still answered (see fallback_answer).
    """
    business = answer = None
    try:
        with _transaction_for(message):
            call = call_records.update_call(message)
            if call is not None and message.type == protocol.END_OF_CALL_REPORT:
                # The call is PENDING analysis in the database already; this only
                # rings the worker, and the sweep rings again if the broker is down.
                transaction.on_commit(partial(post_call.enqueue_analysis, call.pk))
            business = call.business if call else call_records.find_business(message)
            answer = _respond(message, business=business, call=call)
            _finish(event, WebhookEvent.Status.PROCESSED, call=call, response=answer)
        return answer
    # VAPI must get an answer whatever went wrong; the error stays on the event.
    except Exception as exc:
        logger.exception("VAPI %s failed (event %s)", message.type, event.pk)
        error = f"{type(exc).__name__}: {exc}"
    if answer is None or message.type not in TOOL_MESSAGES:
        # Rolled back with its transaction, so VAPI hears the fallback instead; a
        # tool call's answer stands, its outcomes being committed already.
        answer = fallback_answer(message, business=business)
    _record_failure(event, message, response=answer, error=error)
    return answer


def _transaction_for(message: protocol.VapiMessage) -> AbstractContextManager:
    # The caller waits on a tool call, and an enclosing transaction would cost it a
    # BEGIN, a COMMIT and a savepoint around every tool for nothing (see above).
    if message.type in TOOL_MESSAGES:
        return nullcontext()
    return transaction.atomic()


def fallback_answer(
    message: protocol.VapiMessage, *, business: Business | None = None
) -> dict[str, Any]:
    """What VAPI gets when the message could not be handled: the fallback line or a
    spoken apology for a new call, tool errors, else {}."""
    if message.type == protocol.ASSISTANT_REQUEST:
        return assistant.unavailable_answer(business)
    if message.type == protocol.TRANSFER_DESTINATION_REQUEST:
        return {"error": "The transfer could not be set up."}
    if message.type == protocol.FUNCTION_CALL:
        return {"result": TOOL_FAILURE}
    if message.type == protocol.TOOL_CALLS:
        results = [
            {"toolCallId": tc.id, "name": tc.name, "error": TOOL_FAILURE}
            for tc in message.tool_calls
        ]
        return {"results": results}
    return {}


def _stored_answer(
    event: WebhookEvent, message: protocol.VapiMessage
) -> dict[str, Any]:
    """The first copy's answer; VAPI waits on a few types, so wait for it a little."""
    if event.response is not None:
        return event.response
    if message.type not in protocol.ANSWERED_TYPES:
        return {}  # VAPI ignores the body of informational messages
    deadline = time.monotonic() + settings.VAPI_DUPLICATE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        answers = WebhookEvent.objects.filter(pk=event.pk, response__isnull=False)
        answer = answers.values_list("response", flat=True).first()
        if answer is not None:
            return answer
    logger.warning("VAPI %s still unanswered (event %s)", message.type, event.pk)
    return fallback_answer(message)


def _finish(
    event: WebhookEvent,
    status: str,
    *,
    call: Call | None,
    response: dict[str, Any],
    error: str = "",
) -> None:
    fields = {}
    if call is not None and call.purged_at:
        # A message arriving after its call was purged or its caller erased: keep
        # no copy of the conversation and number it carries.
        fields["payload"] = PURGED
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status,
        call=call,
        response=response,
        error=error,
        processed_at=timezone.now(),
        **fields,
    )


def _respond(
    message: protocol.VapiMessage, *, business: Business | None, call: Call | None
) -> dict[str, Any]:
    responder = RESPONDERS.get(message.type)
    if responder is None:
        return {}
    answer = responder(message, business=business, call=call)
    if not isinstance(answer, dict):
        kind = type(answer).__name__
        raise TypeError(f"The {message.type} handler returned {kind}, not a dict.")
    return answer


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
