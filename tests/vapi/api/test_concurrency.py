"""Concurrent deliveries on PostgreSQL, where requests really do race."""

import dataclasses
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.leads.models import Lead
from apps.roxy import tools
from apps.vapi import intake, protocol
from tests.vapi.payloads import (
    CALL_ID,
    load_payload,
    payload_bytes,
)
from tests.vapi.webhook import URL, as_bytes, bearer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("webhook_settings"),
]

COPIES = 20


def post_all_at_once(bodies: list[bytes]) -> list:
    """POST every body from its own thread, released together; responses or errors."""
    start = threading.Barrier(len(bodies))
    outcomes: list = [None] * len(bodies)

    def deliver(index: int, body: bytes) -> None:
        try:
            start.wait()
            outcomes[index] = Client().post(
                URL, body, content_type="application/json", headers=bearer()
            )
        except Exception as exc:  # surfaced by the assertions below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=deliver, args=(i, body))
        for i, body in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def wait_until_blocking(sessions: int, *, seconds: float = 30.0) -> int:
    """Poll until `sessions` others wait on this connection's locks; how many did.

    pg_locks is read afresh on each query, unlike pg_stat_activity, which holds
    one snapshot for the whole transaction.
    """
    query = (
        "SELECT count(DISTINCT pid) FROM pg_locks"
        " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(query)
            (waiting,) = cursor.fetchone()
            if waiting >= sessions or time.monotonic() > deadline:
                return waiting


def test_twenty_copies_of_a_report_make_one_call_and_one_event(salon):
    outcomes = post_all_at_once([payload_bytes("11-end-of-call-report")] * COPIES)

    assert [getattr(o, "status_code", o) for o in outcomes] == [200] * COPIES
    assert all(o.json() == {} for o in outcomes)
    assert Call.objects.count() == 1
    assert WebhookEvent.objects.count() == 1
    assert Lead.objects.count() == 1
    call = Call.objects.get()
    assert call.status == Call.Status.ENDED
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_different_messages_racing_for_a_new_call_make_one_call(salon):
    bodies = []
    for n in range(COPIES):
        raw = load_payload("10-status-update-ended" if n == 7 else "09-hang")
        raw["message"]["timestamp"] += n
        bodies.append(as_bytes(raw))

    outcomes = post_all_at_once(bodies)

    assert [getattr(o, "status_code", o) for o in outcomes] == [200] * COPIES
    call = Call.objects.get(vapi_call_id=CALL_ID)
    assert (call.business, call.status, call.has_hang) == (
        salon,
        Call.Status.ENDED,
        True,
    )
    assert WebhookEvent.objects.filter(call=call).count() == COPIES


def test_copies_of_a_tool_call_in_flight_all_get_the_first_answer(
    salon, monkeypatch, webhook_settings
):
    # No polling: every copy waits on the first one's claim of the raw event.
    webhook_settings.VAPI_DUPLICATE_WAIT_SECONDS = 0
    runs = []
    blocked = []

    def held_tools(message, *, business, call):
        runs.append(message.tool_calls[0].id)
        # Answer only once every other copy is stuck behind this one's claim.
        blocked.append(wait_until_blocking(COPIES - 1))
        return {
            "results": [{"toolCallId": "call_9hJd2PqW6nCe4tXa8vLm0KzR", "result": "ok"}]
        }

    monkeypatch.setitem(intake.RESPONDERS, protocol.TOOL_CALLS, held_tools)

    outcomes = post_all_at_once(
        [payload_bytes("05-tool-calls-book-appointment")] * COPIES
    )

    assert [getattr(o, "status_code", o) for o in outcomes] == [200] * COPIES
    # Equal JSON; jsonb may order the keys of the stored copy differently.
    assert all(o.json() == outcomes[0].json() for o in outcomes)
    assert outcomes[0].json()["results"][0]["result"] == "ok"
    assert runs == ["call_9hJd2PqW6nCe4tXa8vLm0KzR"]
    assert blocked == [COPIES - 1]
    assert WebhookEvent.objects.count() == 1


def test_one_tool_call_in_different_deliveries_at_once_runs_once(salon, monkeypatch):
    runs = []
    blocked = []

    def held_booking(arguments, context):
        runs.append(arguments)
        # Book only once every other delivery is stuck behind this one's claim.
        blocked.append(wait_until_blocking(COPIES - 1))
        return "Booked."

    booking = dataclasses.replace(tools.TOOLS["book_appointment"], run=held_booking)
    monkeypatch.setitem(tools.TOOLS, "book_appointment", booking)
    bodies = []
    for n in range(COPIES):
        # A new timestamp makes each a new message (a new event), around the same
        # tool call: only its toolCallId can keep the booking from running twice.
        raw = load_payload("05-tool-calls-book-appointment")
        raw["message"]["timestamp"] += n
        bodies.append(as_bytes(raw))

    outcomes = post_all_at_once(bodies)

    assert [getattr(o, "status_code", o) for o in outcomes] == [200] * COPIES
    assert all(o.json() == outcomes[0].json() for o in outcomes)
    assert outcomes[0].json()["results"][0]["result"] == "Booked."
    assert len(runs) == 1
    assert blocked == [COPIES - 1]
    assert ToolInvocation.objects.count() == Call.objects.count() == 1
    assert WebhookEvent.objects.filter(
        status=WebhookEvent.Status.PROCESSED
    ).count() == (COPIES)
