"""bench/call.py and bench/call_ramp.py must keep working as the webhook changes."""

import pytest

from bench import call, call_ramp
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
