"""Receiving VAPI server messages: store the raw event, update the call, answer VAPI."""

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.businesses.models import Business
from apps.calls import post_call
from apps.calls.models import PURGED, Call, WebhookEvent
from apps.core.transactions import savepoint_if_nested
from apps.roxy import assistant, languages, tools
from apps.vapi import call_records, protocol

logger = logging.getLogger(__name__)

# The messages VAPI waits on, and the Roxy handler that answers each.
RESPONDERS: dict[str, Callable[..., dict[str, Any]]] = {
    protocol.ASSISTANT_REQUEST: assistant.answer_assistant_request,
    protocol.TOOL_CALLS: tools.answer_tool_calls,
    protocol.FUNCTION_CALL: tools.answer_tool_calls,
    protocol.TRANSFER_DESTINATION_REQUEST: assistant.answer_transfer_destination_request,
}
# English msgids; said in the call's language by _said().
TOOL_FAILURE = gettext_noop(
    "This could not be done just now because of a problem on our side. "
    "Apologise and offer to take a message for the team."
)
TOOL_IN_HAND = gettext_noop(
    "That request is still being handled. Don't say whether it worked: tell the "
    "caller you are confirming it, then check (find_my_appointments shows a booking)."
)
DELETION_NOTICES = frozenset({protocol.CALL_DELETED, protocol.CALL_DELETE_FAILED})
_POLL_SECONDS = 0.1
OMITTED_ASSISTANT = (
    "as answered to this call's assistant-request (stored on that event)"
)


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

    def claim() -> WebhookEvent:
        # The transaction's first statement: a copy of this message in flight
        # waits here on the unique key until the first copy commits or rolls back.
        return _insert_event(message, status=WebhookEvent.Status.RECEIVED)

    try:
        return _handle(message, claim=claim)
    except _Redelivered:
        return _stored_answer(message)
    except _HandlingFailed as failure:
        return _store_failure(message, response=failure.answer, error=failure.error)


class _Redelivered(Exception):
    """The message's dedupe key is stored already: another copy got there first."""


class _HandlingFailed(Exception):
    def __init__(self, answer: dict[str, Any], error: str) -> None:
        super().__init__(error)
        self.answer, self.error = answer, error


def _handle(
    message: protocol.VapiMessage, *, claim: Callable[[], WebhookEvent]
) -> dict[str, Any]:
    """Claim the event, apply the message to its call, answer it: one commit.

    The raw event, what the message changes on its call, the handler's work (a
    booking, a tool's outcome) and the answer stored on the event land together or
    not at all. Raises _HandlingFailed with the fallback answer when anything in
    it failed, and lets _Redelivered through.
    """
    business = None
    try:
        with transaction.atomic():
            event = claim()
            answering = message.type in RESPONDERS  # only Roxy's answers need it
            call = call_records.update_call(message, with_business=answering)
            if call is not None and message.type == protocol.END_OF_CALL_REPORT:
                # The call is PENDING analysis in the database already; this only
                # rings the worker, and the sweep rings again if the broker is down.
                transaction.on_commit(partial(post_call.enqueue_analysis, call.pk))
            if answering:
                business = (
                    call.business if call else call_records.find_business(message)
                )
            answer = _respond(message, business=business, call=call)
            _finish(event, WebhookEvent.Status.PROCESSED, call=call, response=answer)
        return answer
    except _Redelivered:
        raise
    # VAPI must get an answer whatever went wrong; the error stays on the event.
    except Exception as exc:
        logger.exception("VAPI %s failed", message.type)
        error = f"{type(exc).__name__}: {exc}"
    raise _HandlingFailed(fallback_answer(message, business=business), error)


def _insert_event(
    message: protocol.VapiMessage,
    *,
    status: str,
    call: Call | None = None,
    response: dict[str, Any] | None = None,
    error: str = "",
) -> WebhookEvent:
    """INSERT the raw message; a copy stored first raises _Redelivered.

    Inside the message's transaction, so a conflict needs no savepoint: the whole
    transaction (this copy's work) rolls back, and the first copy's answer stands.
    """
    # A message arriving after its call was purged or its caller erased keeps no
    # copy of the conversation and number it carries.
    payload = PURGED if call is not None and call.purged_at else stored_payload(message)
    try:
        event = WebhookEvent.objects.create(
            dedupe_key=message.dedupe_key,
            type=message.type,
            vapi_call_id=message.call_id,
            call=call,
            payload=payload,
            status=status,
            response=response,
            error=error,
            processed_at=None
            if status == WebhookEvent.Status.RECEIVED
            else timezone.now(),
        )
    except IntegrityError:
        raise _Redelivered from None
    logger.info("VAPI %s stored (event %s, %s)", message.type, event.pk, status)
    return event


def _store_failure(
    message: protocol.VapiMessage, *, response: dict[str, Any], error: str
) -> dict[str, Any]:
    """Store a message whose handling failed, with its error, and answer it anyway.

    When only the handler failed, the call is still recorded (found or created).
    """
    failed = partial(
        _insert_event,
        message,
        status=WebhookEvent.Status.FAILED,
        response=response,
        error=error,
    )
    try:
        try:
            with transaction.atomic():
                # For these types the call is only found or created: nothing failed there.
                answered = message.type in protocol.ANSWERED_TYPES
                failed(call=call_records.update_call(message) if answered else None)
        except _Redelivered:
            raise
        except Exception:
            logger.exception("VAPI %s: call not recorded", message.type)
            with transaction.atomic():
                failed(call=None)
    except _Redelivered:
        # A copy stored while this one failed: VAPI hears that copy's answer.
        return _stored_answer(message)
    return response


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
                payload=stored_payload(message),
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


def stored_payload(message: protocol.VapiMessage) -> dict[str, Any]:
    """The body as stored: as received, except the copy of our own assistant.

    VAPI repeats the transient assistant we answered the call's assistant-request
    with (about 12 KB) in every later message of the call. That answer is stored
    once, on the assistant-request's event; here only its name and metadata stay.
    Nothing reads it back (apps.vapi.protocol ignores it), and it is half of
    what a call stores.
    """
    sent = message.body.get("assistant")
    if not isinstance(sent, dict) or not isinstance(sent.get("metadata"), dict):
        return message.raw
    if sent["metadata"].get("assistant_source") != assistant.ASSISTANT_SOURCE:
        return message.raw  # an assistant set at VAPI: not stored anywhere else
    kept = {key: sent[key] for key in ("name", "metadata") if key in sent}
    kept["omitted"] = OMITTED_ASSISTANT
    return {**message.raw, "message": {**message.body, "assistant": kept}}


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


def fallback_answer(
    message: protocol.VapiMessage, *, business: Business | None = None
) -> dict[str, Any]:
    """What VAPI gets when the message could not be handled: the fallback line or a
    spoken apology for a new call, tool errors, else {}."""
    if message.type == protocol.ASSISTANT_REQUEST:
        return assistant.unavailable_answer(business)
    if message.type == protocol.TRANSFER_DESTINATION_REQUEST:
        return {"error": "The transfer could not be set up."}
    if message.type in (protocol.FUNCTION_CALL, protocol.TOOL_CALLS):
        return _tool_answer(message, _said(TOOL_FAILURE, message, business))
    return {}


def _tool_answer(message: protocol.VapiMessage, text: str) -> dict[str, Any]:
    """`text` as the answer to every tool call of a tool-calls or function-call."""
    if message.type == protocol.FUNCTION_CALL:
        return {"result": text}
    results = [
        {"toolCallId": tc.id, "name": tc.name, "error": text}
        for tc in message.tool_calls
    ]
    return {"results": results}


def _stored_event(message: protocol.VapiMessage) -> tuple[int, Any] | None:
    """(pk, response) of the copy of this message stored already, if any."""
    events = WebhookEvent.objects.filter(dedupe_key=message.dedupe_key)
    # A slice, not first(): by the unique key, with no ORDER BY to build.
    found = events.order_by().values_list("pk", "response")[:1]
    return found[0] if found else None


def _stored_answer(message: protocol.VapiMessage) -> dict[str, Any]:
    """The first copy's answer; VAPI waits on a few types, so wait for it a little.

    A copy stored by this code always has its answer (one commit); only an event
    stored unanswered (before that, or by hand) makes a copy wait.
    """
    stored = _stored_event(message)
    if stored is None:
        # The conflict was not the dedupe key: nothing stored to answer with.
        logger.error("VAPI %s conflicted with no stored copy", message.type)
        return fallback_answer(message)
    pk, answer = stored
    logger.info("VAPI %s redelivered (event %s)", message.type, pk)
    if answer is not None:
        return answer
    if message.type not in protocol.ANSWERED_TYPES:
        return {}  # VAPI ignores the body of informational messages
    deadline = time.monotonic() + settings.VAPI_DUPLICATE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        answers = WebhookEvent.objects.filter(pk=pk, response__isnull=False)
        answer = answers.values_list("response", flat=True).first()
        if answer is not None:
            return answer
    logger.warning("VAPI %s still unanswered (event %s)", message.type, pk)
    return unanswered_answer(message)


def unanswered_answer(message: protocol.VapiMessage) -> dict[str, Any]:
    """For a copy whose first copy is still at work: a tool call may yet succeed,
    so the copy must not say it failed."""
    if message.type in (protocol.FUNCTION_CALL, protocol.TOOL_CALLS):
        return _tool_answer(message, _said(TOOL_IN_HAND, message))
    return fallback_answer(message)


def _said(text: str, message: protocol.VapiMessage, business=None) -> str:
    """`text` in the language of the message's call (Roxy reads it out)."""
    language = languages.language_of_call(message.call_id, business)
    with languages.speaking(language):
        return gettext(text)


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
