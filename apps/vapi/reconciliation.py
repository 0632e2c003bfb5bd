"""Lost end-of-call reports recovered from VAPI's API, through the webhook's own path.

VAPI does not retry an end-of-call report our webhook missed (an outage, a deploy), so
`reconcile_calls` asks VAPI for a window's calls and ingests, exactly as the webhook
would, each report no WebhookEvent holds yet.
"""

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.businesses.models import Business
from apps.calls.models import WebhookEvent
from apps.core.logging import vapi_call_context
from apps.vapi import intake, json_body, protocol
from apps.vapi.client import JSON, VapiClient

logger = logging.getLogger(__name__)

# Promoted to the report's top level, as VAPI sends them; not repeated under `call`.
_PROMOTED_CALL_FIELDS = ("artifact", "analysis", "costs", "messages")


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
        body = json_body.loads(json.dumps(build_end_of_call_report(call)).encode())
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
