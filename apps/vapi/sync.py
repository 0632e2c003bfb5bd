"""Keeping VAPI in line with VoiceHive: where phone numbers send calls, and lost reports.

What "points to our webhook with the right credential" means, per VAPI phone number on
file for a business (see PhoneNumberChange and desired_phone_number):

- `server.url` is VAPI_SERVER_URL. `assistant-request` only ever goes to the number's
  (or the org's) server URL, and later messages follow it unless an assistant says
  otherwise.
- `server.credentialId` is VAPI_CREDENTIAL_ID: the VAPI credential (bearer token or
  HMAC) holding the secret our webhook checks (VAPI_WEBHOOK_SECRET / VAPI_HMAC_SECRET).
- `server.timeoutSeconds` is VAPI_SERVER_TIMEOUT_SECONDS.
- `assistantId`, `squadId` and `workflowId` are cleared, so VAPI asks us with an
  `assistant-request` and Roxy answers as that business.
- `fallbackDestination` forwards to the business's transfer number, when it has one:
  VAPI uses it if our `assistant-request` answer fails, instead of hanging up.

The rest of `server` (headers, backoffPlan, static IPs) is kept as it is: the patch
sends the whole current `server` object with only those fields changed. Routing
fields are unset with JSON null: the spec types them as strings and documents no
other way to clear them (UNCONFIRMED against the live API; were VAPI to refuse, the
PATCH fails with VAPI's 400 message and that number is left unchanged).
"""

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.businesses.models import Business, VapiPhoneNumber
from apps.calls.models import WebhookEvent
from apps.core.logging import vapi_call_context
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.vapi import intake, protocol
from apps.vapi.client import JSON, VapiClient

logger = logging.getLogger(__name__)

ROUTING_FIELDS = ("assistantId", "squadId", "workflowId")
# Promoted to the report's top level, as VAPI sends them; not repeated under `call`.
_PROMOTED_CALL_FIELDS = ("artifact", "analysis", "costs", "messages")


class VapiSyncError(Exception):
    """Our own settings do not allow pointing VAPI at us (e.g. no public webhook URL)."""


# --- Phone numbers ---


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True)
class PhoneNumberChange:
    """How one VAPI phone number differs from what VoiceHive needs, and the patch fixing it."""

    phone_number: VapiPhoneNumber
    changes: tuple[FieldChange, ...]
    patch: JSON  # the PATCH /phone-number/{id} body; {} when VAPI is already right
    local_number: str = ""  # VAPI's E.164 number, when our row says otherwise

    @property
    def is_in_sync(self) -> bool:
        return not self.changes

    @property
    def title(self) -> str:
        number = self.phone_number
        shown = number.number or "(no number on file)"
        return f"{number.business.slug} {shown} [{number.vapi_phone_number_id}]"

    def describe(self) -> list[str]:
        """The diff as lines for a terminal: a title, then one indented line per field."""
        if self.is_in_sync:
            return [f"{self.title}: in sync"]
        return [f"{self.title}:", *(f"  {change}" for change in self.changes)]


@dataclass(frozen=True)
class NewPhoneNumber:
    """A free VAPI number to create for a business that has none on file."""

    business: Business
    body: JSON  # the POST /phone-number body

    def describe(self) -> list[str]:
        return [
            f"{self.business.slug}: no VAPI phone number on file:",
            f"  create a free VAPI number in area code "
            f"{self.body['numberDesiredAreaCode']} -> {self.body['server']['url']}",
        ]


def check_webhook_settings() -> None:
    """Raise VapiSyncError unless VAPI_SERVER_URL and VAPI_CREDENTIAL_ID are usable."""
    path = reverse("vapi:webhook")
    url = settings.VAPI_SERVER_URL
    if not url:
        raise VapiSyncError(
            f"VAPI_SERVER_URL is not set: set it to the public webhook URL, "
            f"https://<your host>{path}"
        )
    if not url.startswith("https://"):
        raise VapiSyncError(f"VAPI_SERVER_URL must be an https:// URL, not {url!r}.")
    if not settings.VAPI_CREDENTIAL_ID:
        raise VapiSyncError(
            "VAPI_CREDENTIAL_ID is not set: create a custom credential in VAPI holding "
            "VAPI_WEBHOOK_SECRET (bearer) or VAPI_HMAC_SECRET (HMAC) and set its id."
        )


def desired_phone_number(business: Business, current: JSON) -> JSON:
    """The fields VAPI's phone number must have for calls to reach this business's Roxy."""
    server = dict(current.get("server") or {})
    server.update(
        url=settings.VAPI_SERVER_URL,
        credentialId=settings.VAPI_CREDENTIAL_ID,
        timeoutSeconds=settings.VAPI_SERVER_TIMEOUT_SECONDS,
    )
    desired: JSON = {"server": server, **dict.fromkeys(ROUTING_FIELDS)}
    fallback = _fallback_destination(business)
    if fallback is not None:
        desired["fallbackDestination"] = fallback
    return desired


def plan_phone_number_sync(
    business: Business, *, client: VapiClient
) -> list[PhoneNumberChange]:
    """Compare each of the business's VAPI numbers with what it should be. Reads only."""
    check_webhook_settings()
    numbers = business.phone_numbers.select_related("business").order_by("pk")
    return [_plan_number(number, client=client) for number in numbers]


def apply_phone_number_sync(
    changes: Iterable[PhoneNumberChange], *, client: VapiClient
) -> list[PhoneNumberChange]:
    """PATCH each out-of-sync number on VAPI and refresh our copy of its digits.

    Returns the changes applied. Idempotent: planning again afterwards finds none.
    """
    applied = []
    for change in changes:
        if change.is_in_sync:
            continue
        number = change.phone_number
        if change.patch:
            client.update_phone_number(number.vapi_phone_number_id, change.patch)
        if change.local_number:
            number.number = change.local_number
            number.save(update_fields=["number", "updated_at"])
        logger.info("VAPI phone number %s synced", number.vapi_phone_number_id)
        applied.append(change)
    return applied


def plan_phone_number_creation(
    business: Business, *, area_code: str
) -> NewPhoneNumber | None:
    """A free VAPI number (US area code) set up for Roxy, if the business has no number."""
    check_webhook_settings()
    if business.phone_numbers.exists():
        return None
    body = {
        "provider": "vapi",
        "numberDesiredAreaCode": area_code,
        "name": business.name[:40],
        **{
            k: v for k, v in desired_phone_number(business, {}).items() if v is not None
        },
    }
    return NewPhoneNumber(business, body)


def create_phone_number(new: NewPhoneNumber, *, client: VapiClient) -> VapiPhoneNumber:
    """Create the number on VAPI and record it for the business. Each call makes a new one."""
    created = client.create_phone_number(new.body)
    number = VapiPhoneNumber.objects.create(
        business=new.business,
        vapi_phone_number_id=created["id"],
        number=_vapi_e164(created),
        label=created.get("name", "")[:80],
    )
    logger.info("VAPI phone number %s created", number.vapi_phone_number_id)
    return number


def _plan_number(number: VapiPhoneNumber, *, client: VapiClient) -> PhoneNumberChange:
    current = client.get_phone_number(number.vapi_phone_number_id)
    desired = desired_phone_number(number.business, current)
    changes, patch = _diff(current, desired)
    local_number = _vapi_e164(current)
    if local_number and local_number != number.number:
        changes.append(FieldChange("number on file", number.number, local_number))
    else:
        local_number = ""
    if patch and current.get("provider"):
        # The PATCH body is a oneOf per provider; naming it picks the right schema.
        patch = {"provider": current["provider"], **patch}
    return PhoneNumberChange(number, tuple(changes), patch, local_number)


def _diff(current: JSON, desired: JSON) -> tuple[list[FieldChange], JSON]:
    changes: list[FieldChange] = []
    patch: JSON = {}
    current_server = current.get("server") or {}
    for key, value in desired["server"].items():
        if current_server.get(key) != value:
            changes.append(FieldChange(f"server.{key}", current_server.get(key), value))
    if changes:
        patch["server"] = desired["server"]
    for key in ROUTING_FIELDS:
        if current.get(key):
            changes.append(FieldChange(key, current[key], None))
            patch[key] = None
    fallback = desired.get("fallbackDestination")
    if fallback is not None and not _same_destination(
        current.get("fallbackDestination"), fallback
    ):
        old = (current.get("fallbackDestination") or {}).get("number")
        changes.append(
            FieldChange("fallbackDestination.number", old, fallback["number"])
        )
        patch["fallbackDestination"] = fallback
    return changes, patch


def _fallback_destination(business: Business) -> JSON | None:
    if not business.transfer_number:
        return None
    try:
        number = normalize_phone(business.transfer_number)
    except InvalidPhoneError:
        return None
    return {"type": "number", "number": number}


def _same_destination(current: Any, desired: JSON) -> bool:
    if not isinstance(current, dict):
        return False
    return all(current.get(key) == value for key, value in desired.items())


def _vapi_e164(current: JSON) -> str:
    try:
        return normalize_phone(current.get("number") or "")
    except InvalidPhoneError:
        return ""  # SIP-only and BYO numbers may have no E.164 digits


def _show(value: Any) -> str:
    return "(unset)" if value is None or value == "" else repr(value)


# --- Lost end-of-call reports ---


@dataclass
class ReconcileReport:
    """What reconcile_calls found among the calls VAPI listed."""

    since: dt.datetime
    until: dt.datetime
    dry_run: bool = False
    listed: int = 0
    ingested: list[str] = field(
        default_factory=list
    )  # call ids (would be, on a dry run)
    already_received: int = 0
    not_ended: int = 0
    too_recent: int = 0
    failed: list[str] = field(default_factory=list)  # "<call id>: <why>"

    def summary(self) -> str:
        verb = "Would ingest" if self.dry_run else "Ingested"
        return (
            f"{verb} {len(self.ingested)} missing end-of-call report(s) from "
            f"{self.listed} VAPI call(s) created {_when(self.since)} to "
            f"{_when(self.until)}: {self.already_received} already received, "
            f"{self.not_ended} not ended, {self.too_recent} ended too recently, "
            f"{len(self.failed)} failed."
        )


def reconcile_calls(
    *,
    since: dt.datetime,
    until: dt.datetime,
    business: Business | None = None,
    dry_run: bool = False,
    client: VapiClient,
    progress: Callable[[int, int], None] | None = None,
) -> ReconcileReport:
    """Ingest, through the webhook's own path, each ended call's report that never reached us.

    Idempotent: a report already stored (same dedupe key as the webhook's) is skipped.
    """
    report = ReconcileReport(since=since, until=until, dry_run=dry_run)
    calls = _list_calls(since, until, business=business, client=client)
    report.listed = len(calls)
    cutoff = timezone.now() - dt.timedelta(
        seconds=settings.VAPI_RECONCILE_MIN_AGE_SECONDS
    )
    for done, call in enumerate(calls, start=1):
        with vapi_call_context(str(call.get("id", ""))):
            _reconcile_one(call, report=report, cutoff=cutoff)
        if progress is not None:
            progress(done, len(calls))
    return report


def build_end_of_call_report(call: JSON) -> JSON:
    """The end-of-call-report body VAPI would have POSTed for this call (GET /call/{id} shape).

    Follows ServerMessageEndOfCallReport, whose fields the spec says "can also be found
    at call.<field> on GET /call/:id".
    """
    message = {
        "type": protocol.END_OF_CALL_REPORT,
        "timestamp": _epoch_ms(call.get("updatedAt") or call.get("endedAt")),
        "endedReason": call.get("endedReason") or "",
        "startedAt": call.get("startedAt"),
        "endedAt": call.get("endedAt"),
        "cost": call.get("cost"),
        "costs": call.get("costs"),
        "destination": call.get("destination"),
        "compliance": call.get("compliance"),
        "artifact": call.get("artifact") or {},
        "analysis": call.get("analysis") or {},
        "customer": call.get("customer"),
        "assistant": call.get("assistant"),
        "call": {k: v for k, v in call.items() if k not in _PROMOTED_CALL_FIELDS},
    }
    return {"message": {k: v for k, v in message.items() if v is not None}}


def _list_calls(
    since: dt.datetime,
    until: dt.datetime,
    *,
    business: Business | None,
    client: VapiClient,
) -> list[JSON]:
    window = {"created_after": since, "created_before": until}
    if business is None:
        return client.list_calls(**window)
    calls: dict[str, JSON] = {}
    for number_id in business.phone_numbers.values_list(
        "vapi_phone_number_id", flat=True
    ):
        for call in client.list_calls(**window, phone_number_id=number_id):
            calls[call["id"]] = call
    return sorted(calls.values(), key=lambda call: call.get("createdAt", ""))


def _reconcile_one(call: JSON, *, report: ReconcileReport, cutoff: dt.datetime) -> None:
    call_id = str(call.get("id", ""))
    if call.get("status") != "ended":
        report.not_ended += 1
        return
    ended_at = protocol.parse_datetime(call.get("endedAt") or call.get("updatedAt"))
    if ended_at is None or ended_at > cutoff:
        report.too_recent += 1  # the webhook may still deliver the real report
        return
    try:
        # Through the webhook's decoding and parsing, so the stored payload obeys the
        # same rules (depth, storable text) as one VAPI POSTed.
        body = protocol.loads(json.dumps(build_end_of_call_report(call)).encode())
        message = protocol.parse(body)
    except protocol.VapiPayloadError as exc:
        report.failed.append(f"{call_id}: {exc}")
        return
    if WebhookEvent.objects.filter(dedupe_key=message.dedupe_key).exists():
        report.already_received += 1
        return
    if not report.dry_run:
        error = _ingest(message)
        if error:
            report.failed.append(f"{call_id}: {error}")
            return
    report.ingested.append(call_id)


def _ingest(message: protocol.VapiMessage) -> str:
    """Hand the report to the webhook's service; return the error it recorded, if any."""
    intake.receive_vapi_message(message)
    event = WebhookEvent.objects.only("status", "error").get(
        dedupe_key=message.dedupe_key
    )
    if event.status == WebhookEvent.Status.FAILED:
        return event.error or "processing failed"
    logger.info("Reconciled the end-of-call report from VAPI's API")
    return ""


def _epoch_ms(value: Any) -> int | None:
    moment = protocol.parse_datetime(value)
    return None if moment is None else int(moment.timestamp() * 1000)


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
