"""Receiving VAPI server messages: store the raw event, update the call, answer VAPI."""

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.businesses.models import Business, VapiPhoneNumber
from apps.calls import post_call
from apps.calls.models import PURGED, Call, WebhookEvent
from apps.core.links import is_web_url
from apps.core.logging import vapi_call_context
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.core.transactions import savepoint_if_nested
from apps.leads import services as lead_services
from apps.roxy import assistant, tools
from apps.vapi import protocol

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
_MAX_COST = Decimal("999999.9999")  # Call.cost holds 10 digits, 4 of them decimals
TOOL_MESSAGES = frozenset({protocol.TOOL_CALLS, protocol.FUNCTION_CALL})
DELETION_NOTICES = frozenset({protocol.CALL_DELETED, protocol.CALL_DELETE_FAILED})
_MAX_URL_LENGTH = 1000
_POLL_SECONDS = 0.1


def receive_vapi_message(message: protocol.VapiMessage) -> dict[str, Any]:
    """Store a VAPI message once, apply it to its call and return VAPI's answer.

    Idempotent: a redelivered message changes nothing and gets the first answer.
    """
    if message.type in DELETION_NOTICES:
        return record_deletion_notice(message)
    if message.type not in CALL_UPDATES:
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
            call = _update_call(message)
            if call is not None and message.type == protocol.END_OF_CALL_REPORT:
                # The call is PENDING analysis in the database already; this only
                # rings the worker, and the sweep rings again if the broker is down.
                transaction.on_commit(partial(post_call.enqueue_analysis, call.pk))
            business = call.business if call else find_business(message)
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


def find_business(message: protocol.VapiMessage) -> Business | None:
    """The business owning the dialled VAPI number: by VAPI id, else by E.164 number."""
    # Two plain look-ups rather than one OR ordered by which matched: the first
    # (VAPI always sends the id) is all a real call needs, and half the cost.
    if message.phone_number_id:
        businesses = Business.objects.filter(
            phone_numbers__vapi_phone_number_id=message.phone_number_id
        )
        try:
            return businesses.get()
        except Business.DoesNotExist:
            pass
    if message.phone_number:
        numbers = VapiPhoneNumber.objects.filter(number=message.phone_number)
        number = numbers.select_related("business").order_by("pk").first()
        return number.business if number else None
    return None


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
    if message.type not in RESPONDERS:
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
            call = _update_call(message) if message.type in RESPONDERS else None
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


def _update_call(message: protocol.VapiMessage) -> Call | None:
    """The message's call, created if new; locked and saved only if the message changes it."""
    if not message.call_id:
        return None
    apply = CALL_UPDATES.get(message.type, _no_update)
    if apply is _no_update:
        # Most messages of a call in progress (tool calls) change nothing on it.
        call, created = _find_or_create_call(message)
        if created or not _unfilled(call, message):
            return call
    # Tool calls arrive outside a transaction (see process_webhook_event).
    with transaction.atomic(savepoint=False):
        call = _find_call(message, lock=True)
        if call is None:
            created = _create_call(message)
            if created is not None:
                return created
            # A concurrent copy inserted it first; now it is there to lock.
            call = _find_call(message, lock=True)
        changed = _fill_call(call, message)
        changed += apply(call, message)
        if changed:
            call.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        return call


def _find_or_create_call(message: protocol.VapiMessage) -> tuple[Call, bool]:
    """The call, without a lock, and whether this message created it."""
    # VAPI asks for the assistant before anything else of a call happens, so
    # that call is new: insert it without looking first.
    if message.type != protocol.ASSISTANT_REQUEST:
        call = _find_call(message, lock=False)
        if call is not None:
            return call, False
    created = _create_call(message)
    if created is not None:
        return created, True
    # A concurrent copy inserted it first; now it is there to read.
    return _find_call(message, lock=False), False


def _find_call(message: protocol.VapiMessage, *, lock: bool) -> Call | None:
    calls = Call.objects.select_related("business")
    if lock:
        calls = calls.select_for_update(of=("self",))
    try:
        # get(), not first(): by the unique id, with no ORDER BY to build.
        return calls.get(vapi_call_id=message.call_id)
    except Call.DoesNotExist:
        return None


def _create_call(message: protocol.VapiMessage) -> Call | None:
    """Insert the call with the message applied; None if another request won the race."""
    call = Call(vapi_call_id=message.call_id, **_new_call_fields(message))
    CALL_UPDATES.get(message.type, _no_update)(call, message)
    try:
        with savepoint_if_nested():
            call.save(force_insert=True)
    except IntegrityError:
        return None
    return call


def _new_call_fields(message: protocol.VapiMessage) -> dict[str, Any]:
    fields = {"business": find_business(message), "caller_number": _caller(message)}
    if message.call_type:
        fields["type"] = _call_type(message.call_type)
    return fields


def _fill_call(call: Call, message: protocol.VapiMessage) -> list[str]:
    """Fill what earlier messages could not tell us; never overwrite."""
    changed = []
    if call.business_id is None:
        call.business = find_business(message)
        if call.business is not None:
            changed.append("business")
    if not call.caller_number and message.caller_number and not call.purged_at:
        call.caller_number = _caller(message)
        changed.append("caller_number")
    return changed


def _unfilled(call: Call, message: protocol.VapiMessage) -> bool:
    """Whether the message may tell the call something _fill_call would save."""
    dialled = message.phone_number_id or message.phone_number
    return (call.business_id is None and bool(dialled)) or (
        not call.caller_number and bool(message.caller_number) and not call.purged_at
    )


def _apply_status_update(call: Call, message: protocol.VapiMessage) -> list[str]:
    changed = _apply_times(call, message)
    if call.advance_status(message.status):
        changed.append("status")
    ending = message.status == Call.Status.ENDED and message.ended_reason
    if ending and not call.ended_reason:
        call.ended_reason = message.ended_reason[:200]
        changed.append("ended_reason")
    return changed


def _apply_end_of_call_report(call: Call, message: protocol.VapiMessage) -> list[str]:
    """Everything VAPI recorded, the lead, and the call queued for our analysis.

    A call already purged or erased (a report arriving late) keeps its times, status
    and cost, but takes back none of the conversation, the caller or the lead.
    """
    report = message.report or protocol.CallReport()
    changed = _apply_times(call, message)
    if call.advance_status(Call.Status.ENDED):
        changed.append("status")
    reported = {
        "ended_reason": message.ended_reason[:200],
        "cost": _storable_cost(report.cost),
        "cost_breakdown": report.cost_breakdown,
    }
    if call.purged_at:
        return [*changed, *_set_reported(call, reported)]
    reported |= {
        "transcript": report.transcript,
        "messages": report.messages,
        "recording_url": _storable_url(report.recording_url, name="recording"),
        "stereo_recording_url": _storable_url(
            report.stereo_recording_url, name="stereo recording"
        ),
        "vapi_summary": report.summary,
        "vapi_structured_data": report.structured_data,
        "vapi_success_evaluation": report.success_evaluation[:200],
    }
    changed += _set_reported(call, reported)
    changed += _link_lead(call, message)
    # The worker that analyses calls picks this row state up; no I/O here.
    call.analysis_status = Call.AnalysisStatus.PENDING
    call.analysis_requested_at = timezone.now()
    return [*changed, "analysis_status", "analysis_requested_at"]


def _set_reported(call: Call, reported: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in reported.items():
        if value is not None and value not in ("", [], {}):
            setattr(call, name, value)
            changed.append(name)
    return changed


def _flag_hang(call: Call, message: protocol.VapiMessage) -> list[str]:
    if call.has_hang:
        return []
    call.has_hang = True
    return ["has_hang"]


def _no_update(call: Call, message: protocol.VapiMessage) -> list[str]:
    return []


def _apply_times(call: Call, message: protocol.VapiMessage) -> list[str]:
    changed = []
    for name in ("started_at", "ended_at"):
        value = getattr(message, name)
        if value is not None and value != getattr(call, name):
            setattr(call, name, value)
            changed.append(name)
    if changed and call.started_at and call.ended_at:
        seconds = round((call.ended_at - call.started_at).total_seconds())
        if 0 <= seconds < 2**31:  # PositiveIntegerField
            call.duration_seconds = seconds
            changed.append("duration_seconds")
    return changed


def _link_lead(call: Call, message: protocol.VapiMessage) -> list[str]:
    if call.lead_id or call.business is None or not message.caller_number:
        return []
    lead = lead_services.get_or_create_lead_for_caller(
        call.business, phone=message.caller_number
    )
    if lead is None:
        return []
    call.lead = lead
    return ["lead"]


def _caller(message: protocol.VapiMessage) -> str:
    try:
        return normalize_phone(message.caller_number)
    except InvalidPhoneError:
        return message.caller_number[:32]


def _call_type(value: str) -> str:
    return value if value in Call.Type.values else Call.Type.OTHER


def _storable_cost(cost: Decimal | None) -> Decimal | None:
    if cost is None or abs(cost) > _MAX_COST:
        return None
    return cost.quantize(Decimal("0.0001"))


def _storable_url(url: str, *, name: str) -> str:
    # Truncating would store a broken link; the raw event keeps the original.
    if len(url) > _MAX_URL_LENGTH:
        return ""
    if url and not is_web_url(url):
        # Staff open it as a link and an audio source, so a javascript: or data:
        # URL would run in the admin. The raw event keeps it; the URL itself may
        # be a payload, so it stays out of the log.
        logger.warning("The %s URL from VAPI is not http(s); not stored.", name)
        return ""
    return url


CALL_UPDATES: dict[str, Callable[[Call, protocol.VapiMessage], list[str]]] = {
    protocol.STATUS_UPDATE: _apply_status_update,
    protocol.END_OF_CALL_REPORT: _apply_end_of_call_report,
    protocol.HANG: _flag_hang,
    # Recorded on the call so that Roxy's handlers can link what they do to it.
    **{message_type: _no_update for message_type in RESPONDERS},
}


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
