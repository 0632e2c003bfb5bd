"""bench/call.py and bench/call_ramp.py must keep working as the webhook changes."""

import cProfile
import gc
import json
import pstats

import pytest

from apps.appointments.models import Appointment
from bench import call, call_ramp, gunicorn_hooks, instruments
from tests.roxy.salon import build_salon

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]


@pytest.fixture
def bench_secret(webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = call.SECRET


def test_whole_calls_are_measured_on_both_stacks(bench_secret):
    build_salon()

    figures = call.play_calls(
        2, "none", {}, variants=["fast", "full"], count_functions=True
    )

    assert figures["per_call"]["calls answered as expected"] == 2
    assert figures["per_call"]["messages received"] > 3
    kinds = set(figures["by_type"])
    assert {"assistant-request [fast]", "assistant-request [full]"} <= kinds
    for row in figures["by_type"].values():
        assert row["statements"] > 0
        assert row["functions"] > 0
        # PostgreSQL's backend CPU (SQLite has no backend of its own: 0).
        assert row["db_cpu_ms"] >= 0


def test_a_level_holds_only_under_the_target_and_without_errors():
    assert call_ramp._held({"errors": 0, "tool_p99_ms": 99.9}, 100)
    assert not call_ramp._held({"errors": 0, "tool_p99_ms": 100}, 100)
    assert not call_ramp._held({"errors": 1, "tool_p99_ms": 10}, 100)


def test_tool_calls_are_reported_by_tool_with_their_statements_and_collector_time(
    bench_secret,
):
    build_salon()

    figures = call.play_calls(3, "none", {}, variants=["fast"], count_functions=True)

    rows = figures["by_type"]
    assert {"tool-calls: check_availability", "tool-calls: book_appointment"} <= set(
        rows
    )
    assert all(row["gc_ms"] >= 0 for row in rows.values())
    booking = figures["statements"]["tool-calls: book_appointment"]
    assert any('INSERT INTO "appointments_appointment"' in sql for sql in booking)
    assert "garbage collector ms (in the web CPU)" in figures["per_call"]
    # Profiles summed per message type, for --profile.
    assert figures["profiles"]["assistant-request"].total_calls > 0


def test_own_time_is_shared_out_by_the_code_that_spends_it():
    profile = cProfile.Profile()
    profile.enable()
    json.dumps({"key": list(range(1000))})
    profile.disable()

    shares = dict(instruments.shares(pstats.Stats(profile)))

    assert "JSON (standard library)" in shares
    assert sum(shares.values()) == pytest.approx(1)


def test_levels_double_until_one_fails_then_the_gap_is_halved():
    assert call_ramp.next_level(5, held=5, failed=None) == 10
    assert call_ramp.next_level(80, held=40, failed=80) == 60
    assert call_ramp.next_level(60, held=40, failed=60) == 50
    assert call_ramp.next_level(50, held=50, failed=60) is None  # within a quarter
    assert call_ramp.next_level(5, held=0, failed=5) == 2
    assert call_ramp.next_level(1, held=0, failed=1) is None


def test_workers_record_collector_pauses_and_the_ramp_reads_them_once(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(gunicorn_hooks, "PAUSES", tmp_path / "gc-pauses.jsonl")
    monkeypatch.setattr(gunicorn_hooks, "RECORDED_FROM_MS", 0.0)
    before = list(gc.callbacks)
    try:
        gunicorn_hooks.post_worker_init(worker=None)
        gc.collect()
    finally:
        gc.callbacks[:] = before  # the same list object the interpreter calls

    pauses = gunicorn_hooks.read_pauses()
    assert pauses["count"] >= 1
    assert pauses["full"] >= 1
    assert pauses["total_ms"] >= pauses["max_ms"] > 0
    assert gunicorn_hooks.read_pauses()["count"] == 0


def test_between_levels_the_ramp_frees_every_booked_slot(bench_secret):
    build_salon()
    call.play_calls(3, "none", {}, variants=["fast"])
    assert Appointment.objects.exists()

    assert call_ramp.free_the_slots() > 0

    assert not Appointment.objects.exists()
