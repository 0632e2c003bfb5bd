"""What each VAPI message tells us about its call: the Call row found or created,
filled in and updated; the business found by the dialled number."""

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.businesses.models import Business, VapiPhoneNumber
from apps.calls.models import Call
from apps.core.links import is_web_url
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.core.transactions import savepoint_if_nested
from apps.leads import services as lead_services
from apps.roxy import transfer_outcomes
from apps.vapi import protocol

logger = logging.getLogger(__name__)

_MAX_COST = Decimal("999999.9999")  # Call.cost holds 10 digits, 4 of them decimals
_MAX_URL_LENGTH = 1000
# Sent when VAPI's transcriber switches language (opted in by apps.roxy.assistant).
LANGUAGE_CHANGE_DETECTED = "language-change-detected"


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


def update_call(
    message: protocol.VapiMessage, *, with_business: bool = True
) -> Call | None:
    """The message's call, created if new; locked and saved only if the message changes it.

    Without `with_business` the call's business is not read along with it (a
    status update has no use for it; call.business would then cost a query).
    """
    if not message.call_id:
        return None
    # The report links the caller's lead, which needs the business.
    join = with_business or message.type == protocol.END_OF_CALL_REPORT
    apply = CALL_UPDATES.get(message.type, _no_update)
    if apply is _no_update:
        # Most messages of a call in progress (tool calls) change nothing on it.
        call, created = _find_or_create_call(message, join=join)
        if created or not _unfilled(call, message):
            return call
    # Inside the message's transaction (apps.vapi.intake); no savepoint needed.
    with transaction.atomic(savepoint=False):
        call = _find_call(message, lock=True, join=join)
        if call is None:
            created = _create_call(message)
            if created is not None:
                return created
            # A concurrent copy inserted it first; now it is there to lock.
            call = _find_call(message, lock=True, join=join)
        changed = _fill_call(call, message)
        changed += apply(call, message)
        if changed:
            call.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        return call


def _find_or_create_call(
    message: protocol.VapiMessage, *, join: bool
) -> tuple[Call, bool]:
    """The call, without a lock, and whether this message created it."""
    # VAPI asks for the assistant before anything else of a call happens, so
    # that call is new: insert it without looking first.
    if message.type != protocol.ASSISTANT_REQUEST:
        call = _find_call(message, lock=False, join=join)
        if call is not None:
            return call, False
    created = _create_call(message)
    if created is not None:
        return created, True
    # A concurrent copy inserted it first; now it is there to read.
    return _find_call(message, lock=False, join=join), False


def _find_call(
    message: protocol.VapiMessage, *, lock: bool, join: bool = True
) -> Call | None:
    # The join with the business (some 40 columns) is half of building this query.
    calls = Call.objects.select_related("business") if join else Call.objects.all()
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
    business = find_business(message)
    fields = {"business": business, "caller_number": _caller(message)}
    if business is not None:
        # Roxy answers in the default; language-change-detected moves it on.
        fields["language"] = business.spoken_languages()[0]
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
    # Status updates only fill the times: they can arrive late, after the report,
    # whose times are VAPI's final word.
    changed = _apply_times(call, message, overwrite=False)
    if call.advance_status(message.status):
        changed.append("status")
    ending = message.status == Call.Status.ENDED and message.ended_reason
    if ending and not call.ended_reason:
        call.ended_reason = message.ended_reason[:200]
        changed.append("ended_reason")
    changed += transfer_outcomes.apply_status(call, message)  # issue #16
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
    changed += transfer_outcomes.apply_ending(call, message.ended_reason)
    if call.purged_at:
        return [*changed, *_set_reported(call, reported)]
    reported |= {
        "transcript": report.transcript,
        "messages": report.messages,
        # A caller who declined recording is never kept on record (apps.roxy.consent).
        "recording_url": ""
        if call.recording_declined_at
        else _storable_url(report.recording_url, name="recording"),
        "stereo_recording_url": ""
        if call.recording_declined_at
        else _storable_url(report.stereo_recording_url, name="stereo recording"),
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


def _apply_language_change(call: Call, message: protocol.VapiMessage) -> list[str]:
    # Recorded even when the business doesn't speak it (staff see what the caller
    # spoke); Roxy's tools then keep answering in the business's default.
    language = str(message.body.get("language") or "").strip().lower()
    language = language.replace("_", "-").split("-")[0][:8]
    if not language.isalpha() or language == call.language:
        return []
    call.language = language
    return ["language"]


def _no_update(call: Call, message: protocol.VapiMessage) -> list[str]:
    return []


def _apply_times(
    call: Call, message: protocol.VapiMessage, *, overwrite: bool = True
) -> list[str]:
    changed = []
    for name in ("started_at", "ended_at"):
        value, stored = getattr(message, name), getattr(call, name)
        if stored is not None and not overwrite:
            continue
        if value is not None and value != stored:
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
    LANGUAGE_CHANGE_DETECTED: _apply_language_change,
    transfer_outcomes.TRANSFER_UPDATE: transfer_outcomes.apply_transfer_update,
    # Recorded on the call so that Roxy's handlers can link what they do to it.
    **{message_type: _no_update for message_type in protocol.ANSWERED_TYPES},
}
