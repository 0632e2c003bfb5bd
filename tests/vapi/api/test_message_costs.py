"""What each message of the example call costs in statements, and what is not cached.

The example call is played in order (tests/vapi/payloads), so every message meets
its call as VAPI would leave it. Each message type is bounded at the statements it
runs today (SQLite, where BEGIN, COMMIT and savepoints are captured too), so a
change that reads more per message fails here first.

The business's configuration (services and prices, opening hours, closures) is read
again for every message, not cached between them: staff may change it while a call
is in progress, and the caller must never hear a stale price, service or hour. The
last tests hold that line.
"""

import copy
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.businesses.models import Closure, OpeningHours
from tests.roxy.salon import NOW, build_salon
from tests.vapi.payloads import load_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

# The example call in VAPI's order, each message with its statement budget.
EXAMPLE_CALL = [
    ("01-assistant-request", 13),
    ("02-status-update-in-progress", 6),
    ("04-tool-calls-check-availability", 12),
    ("05-tool-calls-book-appointment", 47),
    ("06-tool-calls-capture-lead", 15),
    ("07-transcript", 3),
    ("08-speech-update", 3),
    ("12-transfer-destination-request", 7),
    ("10-status-update-ended", 6),
    ("11-end-of-call-report", 6),
]


@pytest.fixture
def salon(time_machine):
    time_machine.move_to(NOW, tick=False)
    return build_salon()


def test_each_message_of_the_example_call_stays_within_its_statements(
    post, salon, django_assert_max_num_queries
):
    for name, budget in EXAMPLE_CALL:
        with django_assert_max_num_queries(budget, info=name):
            response = post(load_payload(name))
        assert response.status_code == 200, name


def _check_again(post, tool_call_id: str) -> str:
    raw = copy.deepcopy(load_payload("04-tool-calls-check-availability"))
    raw["message"]["toolCallList"][0]["id"] = tool_call_id
    raw["message"]["timestamp"] += 1
    return post(raw).json()["results"][0]["result"]


def test_a_closure_added_during_the_call_is_heard_at_the_next_check(post, salon):
    post(load_payload("01-assistant-request"))
    post(load_payload("02-status-update-in-progress"))
    first = post(load_payload("04-tool-calls-check-availability"))
    assert first.json()["results"][0]["result"].startswith("Openings for")

    day = dt.date(2025, 3, 15)  # the day the example asks about
    Closure.objects.create(business=salon.business, starts_on=day, ends_on=day)

    assert not _check_again(post, "call_after_closure").startswith("Openings for")


def test_opening_hours_changed_during_the_call_are_heard_at_the_next_check(post, salon):
    post(load_payload("01-assistant-request"))
    post(load_payload("02-status-update-in-progress"))
    before = _check_again(post, "call_before_hours")
    assert "1:00 PM" in before or "1 PM" in before

    # Saturday now closes at noon: no afternoon opening is left that day.
    OpeningHours.objects.filter(business=salon.business, weekday=5).update(
        closes_at=dt.time(12)
    )

    assert _check_again(post, "call_after_hours") != before


def test_a_price_changed_by_staff_is_in_the_next_calls_assistant(post, salon):
    first = post(load_payload("01-assistant-request")).json()
    assert "$160" in str(first)

    salon.color.price = 175
    salon.color.save()
    second = copy.deepcopy(load_payload("01-assistant-request"))
    second["message"]["call"]["id"] = "another-call-after-the-price-change"

    answer = str(post(second).json())
    assert "$175" in answer
    assert "$160" not in answer


def test_a_status_update_reads_its_call_without_the_business(post, salon):
    post(load_payload("01-assistant-request"))

    with CaptureQueriesContext(connection) as captured:
        response = post(load_payload("02-status-update-in-progress"))

    assert response.status_code == 200
    reads = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")
    ]
    assert reads
    assert not any("businesses_business" in sql for sql in reads)


def test_a_tool_call_still_gets_its_business_without_another_query(
    post, salon, django_assert_max_num_queries
):
    post(load_payload("01-assistant-request"))
    post(load_payload("02-status-update-in-progress"))

    with django_assert_max_num_queries(12) as captured:
        post(load_payload("04-tool-calls-check-availability"))

    business_reads = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "businesses_business"' in q["sql"]
    ]
    assert business_reads == []  # joined to the call's look-up, not read apart
