"""VAPI's copy of erased calls deleted too: VAPI keeps every call's recording and transcript.
So is the copy of a call whose caller declined recording, once its report is on file.

The call row is the outbox, as for analysis (apps.calls.post_call): an erased call
with no vapi_deleted_at still has a copy at VAPI. `request_vapi_deletion` rings the
worker (best effort) when a caller is erased, and `sweep_vapi_deletions` rings again,
a batch at a time, for calls VAPI still holds, so a broker or VAPI outage (or a
missing API key) delays the deletion but never loses it. Deleting twice is harmless:
VAPI answers 404 for a call it no longer has, which counts as deleted.
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.calls.models import Call
from apps.core.doorbell import ring
from apps.core.logging import vapi_call_context
from apps.vapi.client import VapiApiError, VapiClient

logger = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 100
# Longer than the task's own retries (at most about eight minutes, time-outs
# included), so the sweep does not ring for a call whose task is still trying.
SWEEP_GRACE = dt.timedelta(minutes=15)


def is_configured() -> bool:
    return bool(settings.VAPI_API_KEY)


def deletion_reasons() -> tuple[str, ...]:
    """Why a call's copy at VAPI is deleted: always an erasure, retention if enabled."""
    if settings.VAPI_DELETE_PURGED_CALLS:
        return (Call.PurgeReason.ERASURE, Call.PurgeReason.RETENTION)
    return (Call.PurgeReason.ERASURE,)


def awaiting_vapi_deletion() -> QuerySet[Call]:
    """Calls whose copy at VAPI must go: erased (or purged, if enabled) ones, and
    those whose caller declined recording once their report is on file (VAPI records
    from the first second and can delete a call only whole; we keep our transcript)."""
    return (
        Call.objects.awaiting_vapi_deletion(deletion_reasons())
        | Call.objects.declined_recording_at_vapi()
    )


def is_awaiting_vapi_deletion(call: Call) -> bool:
    if call.vapi_deleted_at is not None or not call.vapi_call_id:
        return False
    if call.purged_at is not None and call.purge_reason in deletion_reasons():
        return True
    return (
        call.recording_declined_at is not None
        and call.analysis_status != Call.AnalysisStatus.NOT_STARTED
    )


def enqueue_vapi_deletion(call_id: int) -> bool:
    """Ring the worker to delete one call at VAPI (see apps.core.doorbell)."""
    from apps.privacy import tasks  # tasks imports this module

    return ring(tasks.delete_vapi_call_data, call_id, what="deletion at VAPI of call")


def held_at_vapi(call_ids: list[int]) -> QuerySet[Call]:
    """Those of these calls whose copy VAPI still holds."""
    return Call.objects.filter(pk__in=call_ids, vapi_deleted_at__isnull=True).exclude(
        vapi_call_id=""
    )


def request_vapi_deletion(call_ids: list[int]) -> int:
    """Ring the worker on commit for each of these calls VAPI still holds; returns how many.

    Without VAPI_API_KEY nothing is rung (the count is still returned): the sweep
    rings once a key is set.
    """
    ids = list(held_at_vapi(call_ids).values_list("pk", flat=True))
    if not is_configured():
        return len(ids)
    Call.objects.filter(pk__in=ids).update(vapi_delete_requested_at=timezone.now())
    for call_id in ids:
        transaction.on_commit(partial(enqueue_vapi_deletion, call_id))
    return len(ids)


def delete_vapi_call_data(call_id: int) -> bool:
    """Delete VAPI's copy of one call awaiting it and stamp vapi_deleted_at; True if done.

    Idempotent: a call deleted already, never purged, or purged for a reason not
    deleted at VAPI is left alone. Raises VapiApiError only for a transient failure
    (to be retried); a permanent one (a refused key) is logged, and the call left for
    the sweep.
    """
    call = (
        awaiting_vapi_deletion().filter(pk=call_id).only("pk", "vapi_call_id").first()
    )
    if call is None:
        logger.info("Call %s gone, or not awaiting deletion at VAPI", call_id)
        return False
    if not is_configured():
        logger.warning("Call %s kept at VAPI: VAPI_API_KEY is not set", call_id)
        return False
    with vapi_call_context(call.vapi_call_id):
        try:
            with VapiClient.from_settings() as client:
                deleted_now = client.delete_call(call.vapi_call_id)
        except VapiApiError as exc:
            if exc.transient:
                raise
            logger.error(
                "Call %s not deleted at VAPI; the sweep retries: %s", call_id, exc
            )
            return False
        call.mark_deleted_at_vapi()
        outcome = "deleted" if deleted_now else "already gone"
        logger.info("Call %s %s at VAPI", call_id, outcome)
    return True


def sweep_vapi_deletions(now: dt.datetime | None = None) -> int:
    """Ring the worker again for calls VAPI still holds, erased ones first; returns how many.

    At most SWEEP_BATCH_SIZE per run, the least recently asked first, none asked
    within SWEEP_GRACE. Stops at the first failed enqueue (the broker is still down).
    Without VAPI_API_KEY it rings none and logs one line.
    """
    now = now or timezone.now()
    if not is_configured():
        waiting = awaiting_vapi_deletion().count()
        if waiting:
            logger.warning(
                "%s call(s) wait for deletion at VAPI, but VAPI_API_KEY is not set",
                waiting,
            )
        return 0
    rung = []
    for call_id in _due_for_deletion(now):
        if not enqueue_vapi_deletion(call_id):
            break
        rung.append(call_id)
    Call.objects.filter(pk__in=rung).update(vapi_delete_requested_at=now)
    return len(rung)


def _due_for_deletion(now: dt.datetime) -> list[int]:
    not_asked_lately = Q(vapi_delete_requested_at__isnull=True) | Q(
        vapi_delete_requested_at__lte=now - SWEEP_GRACE
    )
    ids: list[int] = []
    # A reason at a time, erasures first: a caller's request outranks housekeeping,
    # and each query reads one part of the index; declined recordings last.
    waiting = [
        Call.objects.awaiting_vapi_deletion((reason,)) for reason in deletion_reasons()
    ]
    waiting.append(Call.objects.declined_recording_at_vapi())
    for calls in waiting:
        room = SWEEP_BATCH_SIZE - len(ids)
        if room <= 0:
            break
        calls = calls.filter(not_asked_lately)
        ordered = calls.order_by(
            F("vapi_delete_requested_at").asc(nulls_first=True), "pk"
        )
        ids += ordered.values_list("pk", flat=True)[:room]
    return ids
