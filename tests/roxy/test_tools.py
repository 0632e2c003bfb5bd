import datetime as dt
import re
import threading

import pytest
from django.db import DatabaseError, connections

from apps.appointments import availability
from apps.appointments.models import Appointment
from apps.appointments.slots import Slot
from apps.calls.models import ToolInvocation
from apps.leads.models import CallbackRequest, Lead
from apps.roxy import booking_tools, tools
from apps.vapi import protocol
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import ClosureFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory
from tests.roxy.salon import (
    CALLER,
    CHICAGO,
    NOW,
    SATURDAY,
    build_salon,
    parse_tool_calls,
    tool_calls_payload,
)
from tests.vapi.payloads import load_payload

pytestmark = pytest.mark.django_db

SLOT_ID = re.compile(r"slot id: ([\w.-]+)")


def run(salon, call, *calls, **kwargs) -> list[dict]:
    if kwargs.get("caller", CALLER) is None:
        call.caller_number = ""  # the number is hidden everywhere VAPI reports it
    message = parse_tool_calls(*calls, **kwargs)
    return tools.answer_tool_calls(message, business=salon.business, call=call)[
        "results"
    ]


def run_one(salon, call, name, args, **kwargs) -> dict:
    (entry,) = run(salon, call, (name, args), **kwargs)
    return entry


def result(salon, call, name, args, **kwargs) -> str:
    entry = run_one(salon, call, name, args, **kwargs)
    assert "error" not in entry, entry["error"]
    return entry["result"]


def error(salon, call, name, args, **kwargs) -> str:
    entry = run_one(salon, call, name, args, **kwargs)
    assert "result" not in entry, entry["result"]
    return entry["error"]


def slot_ids(text: str) -> list[str]:
    return SLOT_ID.findall(text)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def assert_speakable(text: str) -> None:
    assert "\n" not in text
    assert not re.search(r"[*#`{}\[\]]", text)


# --- the envelope ---


@pytest.mark.parametrize(
    "payload",
    [
        "04-tool-calls-check-availability",
        "04b-tool-calls-check-availability.arguments-as-string",
    ],
)
def test_example_availability_check_answers_spoken_openings_with_slot_ids(
    salon, call, payload
):
    message = protocol.parse(load_payload(payload))

    body = tools.answer_tool_calls(message, business=salon.business, call=call)

    (entry,) = body["results"]
    assert entry["toolCallId"] == "call_4kQm8ZtR2xVbN7pLw3sYdE1c"
    assert entry["name"] == "check_availability"
    assert entry["result"].startswith(
        "Openings for Haircut and color (2 hours 30 minutes, $160)"
    )
    assert "on Saturday, March 15 with Jess (slot id: " in entry["result"]
    assert "12:00 PM on Saturday, March 15" in entry["result"]
    assert "11:30 AM" not in entry["result"]  # the caller wants the afternoon
    assert_speakable(entry["result"])


def test_several_tool_calls_are_answered_in_order(salon, call):
    entries = run(
        salon,
        call,
        ("get_business_info", {"topic": "address"}),
        ("no_such_tool", {}),
        ("get_business_info", {"topic": "hours"}),
        ids=["call_b", "call_a", "call_c"],
    )

    assert [e["toolCallId"] for e in entries] == ["call_b", "call_a", "call_c"]
    assert "result" in entries[0] and "result" in entries[2]
    assert entries[1]["error"] == "There is no tool called 'no_such_tool'."


def test_unreadable_arguments_give_an_error_entry(salon, call):
    payload = tool_calls_payload(("check_availability", {}))
    payload["message"]["toolCallList"][0]["function"]["arguments"] = "{not json"

    body = tools.answer_tool_calls(
        protocol.parse(payload), business=salon.business, call=call
    )

    assert "not valid JSON" in body["results"][0]["error"]


def test_a_call_to_an_unknown_number_gets_error_entries(call):
    body = tools.answer_tool_calls(
        parse_tool_calls(("get_business_info", {"topic": "hours"})),
        business=None,
        call=None,
    )

    assert "isn't set up" in body["results"][0]["error"]
    assert ToolInvocation.objects.get().business is None


def test_legacy_function_call_answers_a_single_result(salon, call):
    message = protocol.parse(load_payload("13-function-call-legacy"))

    body = tools.answer_tool_calls(message, business=salon.business, call=call)

    assert list(body) == ["result"]
    assert body["result"].startswith("Openings for Haircut and color")


def test_every_tool_call_is_recorded(salon, call):
    run_one(salon, call, "get_business_info", {"topic": "faq"})

    invocation = ToolInvocation.objects.get()
    assert invocation.tool_call_id == "call_test_0"
    assert invocation.call == call
    assert invocation.business == salon.business
    assert invocation.name == "get_business_info"
    assert invocation.arguments == {"topic": "faq"}
    assert invocation.result.startswith("No FAQ answers")
    assert invocation.duration_ms is not None


def test_an_unexpected_failure_becomes_an_error_and_leaves_no_writes(
    salon, call, mocker
):
    mocker.patch(
        "apps.appointments.services.book_appointment", side_effect=RuntimeError("boom")
    )
    slot = result(salon, call, "check_availability", {"service": "haircut"})

    failure = error(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_ids(slot)[0], "name": "Dana Whitfield"},
        ids=["call_boom"],
    )

    assert failure == tools.FAILED
    assert ToolInvocation.objects.get(tool_call_id="call_boom").error == tools.FAILED
    assert not Lead.objects.exists()  # the lead upsert was rolled back too


def test_a_failure_to_record_one_call_still_answers_the_others(salon, call, mocker):
    real_run_once = tools._run_once

    def database_down_for_the_first(tool_call, context):
        if tool_call.id == "call_lost":
            raise DatabaseError("connection reset")
        return real_run_once(tool_call, context)

    mocker.patch.object(tools, "_run_once", side_effect=database_down_for_the_first)

    entries = run(
        salon,
        call,
        ("get_business_info", {"topic": "hours"}),
        ("get_business_info", {"topic": "address"}),
        ids=["call_lost", "call_ok"],
    )

    assert entries[0]["error"] == tools.FAILED
    assert entries[1]["result"].startswith("Address:")


def test_tools_work_without_a_call_record(salon):
    slot = result(
        salon, None, "check_availability", {"service": "haircut"}, ids=["call_1"]
    )

    text = result(
        salon,
        None,
        "book_appointment",
        {"slot_id": slot_ids(slot)[0], "name": "Dana"},
        ids=["call_2"],
    )

    assert text.startswith("Booked:")
    assert Appointment.objects.get().source_call is None


# --- check_availability ---


@pytest.mark.parametrize(
    "said", ["haircuts", "HAIRCUT", "haircut_and_color", "Color", "blow-outs"]
)
def test_services_are_matched_leniently(salon, call, said):
    assert result(salon, call, "check_availability", {"service": said}).startswith(
        "Openings for"
    )


def test_an_unknown_service_lists_the_real_ones(salon, call):
    message = error(salon, call, "check_availability", {"service": "massage"})

    assert message == (
        'There is no service called "massage". Did they mean Blowout, Haircut or '
        "Haircut and color?"
    )


def test_an_ambiguous_service_asks_which(salon, call):
    message = error(salon, call, "check_availability", {"service": "hair"})

    assert "Haircut or Haircut and color" in message


def test_provider_is_matched_leniently_and_only_their_slots_are_offered(salon, call):
    text = result(
        salon,
        call,
        "check_availability",
        {"service": "haircut", "date": "tomorrow", "provider": "maria"},
    )

    assert text.startswith("Openings for Haircut with Maria")
    assert "with Jess" not in text


def test_a_provider_who_does_not_offer_the_service_is_explained(salon, call):
    salon.jess.services.remove(salon.blowout)

    message = error(
        salon, call, "check_availability", {"service": "blowout", "provider": "Jess"}
    )

    assert message == "Jess doesn't do Blowout. Maria does."


def test_tomorrow_is_resolved_in_the_business_time_zone_near_midnight(
    salon, call, time_machine
):
    # 11:30 PM Friday in Austin; UTC is already Saturday.
    time_machine.move_to(dt.datetime(2025, 3, 15, 4, 30, tzinfo=dt.UTC), tick=False)

    text = result(
        salon, call, "check_availability", {"service": "haircut", "date": "tomorrow"}
    )

    assert "on Saturday, March 15" in text
    assert "Sunday" not in text


def test_today_late_in_the_evening_is_still_the_local_day(salon, call, time_machine):
    # 11:30 PM Friday in Austin; UTC is already Saturday, which has openings.
    time_machine.move_to(dt.datetime(2025, 3, 15, 4, 30, tzinfo=dt.UTC), tick=False)

    text = result(
        salon, call, "check_availability", {"service": "haircut", "date": "today"}
    )

    assert text.startswith("No openings for Haircut (1 hour, $45) on Friday, March 14.")


@pytest.mark.parametrize(
    ("late_evening", "expected"),
    [
        # The night clocks spring forward (2 AM Sunday, March 9, 2025).
        (dt.datetime(2025, 3, 8, 23, 30, tzinfo=CHICAGO), "Sunday, March 9"),
        # The night clocks fall back (2 AM Sunday, November 2, 2025).
        (dt.datetime(2025, 11, 1, 23, 30, tzinfo=CHICAGO), "Sunday, November 2"),
    ],
)
def test_tomorrow_on_a_daylight_saving_night_keeps_wall_clock_hours(
    salon, call, time_machine, late_evening, expected
):
    salon.business.opening_hours.create(
        weekday=6, opens_at=dt.time(9), closes_at=dt.time(17)
    )
    time_machine.move_to(late_evening, tick=False)

    text = result(
        salon, call, "check_availability", {"service": "haircut", "date": "tomorrow"}
    )

    assert text.startswith("Openings for Haircut (1 hour, $45) (15 open times in all)")
    assert f"9:00 AM on {expected}" in text
    assert f"4:00 PM on {expected}" in text


def test_one_day_offers_a_few_times_spread_over_the_day(salon, call):
    text = result(
        salon, call, "check_availability", {"service": "haircut", "date": "Saturday"}
    )

    assert len(slot_ids(text)) == 4
    assert "9:00 AM on Saturday" in text and "4:00 PM on Saturday" in text
    assert "(15 open times in all)" in text


def test_no_date_searches_the_coming_week(salon, call):
    text = result(salon, call, "check_availability", {"service": "haircut"})

    assert "Friday, March 14" in text  # later today
    assert "Saturday, March 15" in text


def test_a_full_day_points_to_the_next_openings(salon, call):
    text = result(
        salon, call, "check_availability", {"service": "haircut", "date": "Sunday"}
    )

    assert text.startswith("No openings for Haircut (1 hour, $45) on Sunday, March 16.")
    assert "The next openings are: 9:00 AM on Monday, March 17" in text


def test_the_next_openings_cost_one_more_query_than_a_day_with_openings(
    salon, call, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as open_day:
        result(
            salon,
            call,
            "check_availability",
            {"service": "haircut", "date": "Saturday"},
        )

    # Hours, closures and providers are read once; only the next days' bookings are new.
    with django_assert_max_num_queries(len(open_day.captured_queries) + 1):
        text = result(
            salon,
            call,
            "check_availability",
            {"service": "haircut", "date": "Sunday"},
            ids=["call_sunday"],
        )

    assert "The next openings are" in text


def test_a_closure_day_has_no_openings(salon, call):
    ClosureFactory(business=salon.business, starts_on=SATURDAY, ends_on=SATURDAY)

    text = result(
        salon, call, "check_availability", {"service": "haircut", "date": "March 15"}
    )

    assert text.startswith("No openings")


def test_an_unreadable_date_asks_again(salon, call):
    message = error(
        salon, call, "check_availability", {"service": "haircut", "date": "someday"}
    )

    assert "Could you give me a day" in message


def test_a_past_date_is_refused(salon, call):
    message = error(
        salon, call, "check_availability", {"service": "haircut", "date": "2025-03-01"}
    )

    assert message == (
        "Saturday, March 1, 2025 has already passed; today is Friday, March 14."
    )


def test_check_availability_uses_a_fixed_number_of_queries(
    salon, call, django_assert_max_num_queries
):
    for _ in range(12):
        stylist = ProviderFactory(business=salon.business, services=[salon.haircut])
        ServiceFactory(business=salon.business)
        for hour in (9, 11, 13):
            AppointmentFactory(
                business=salon.business,
                service=salon.haircut,
                provider=stylist,
                start_at=at(SATURDAY, hour),
            )
    # Four reads and the outcome's INSERT; the two savepoints around the tool and
    # the INSERT exist only because the test runs inside a transaction.
    with django_assert_max_num_queries(9):
        text = result(
            salon,
            call,
            "check_availability",
            {"service": "haircut", "date": "this week"},
        )

    assert len(slot_ids(text)) == 4


# --- book_appointment ---


def offered_slot(salon, call, service="haircut", date="Saturday", **extra) -> str:
    text = result(
        salon,
        call,
        "check_availability",
        {"service": service, "date": date, **extra},
        ids=[f"call_check_{service}_{date}"],
    )
    return slot_ids(text)[0]


def test_booking_an_offered_slot_creates_the_appointment_and_the_lead(salon, call):
    slot_id = offered_slot(salon, call)

    text = result(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_id, "name": "Dana Whitfield", "email": "dana@example.com"},
    )

    appointment = Appointment.objects.get()
    assert appointment.start_at == at(SATURDAY, 9)
    assert appointment.service == salon.haircut
    assert appointment.source_call == call
    lead = appointment.lead
    assert (lead.name, lead.phone, lead.email) == (
        "Dana Whitfield",
        CALLER,
        "dana@example.com",
    )
    assert lead.status == Lead.Status.BOOKED
    call.refresh_from_db()
    assert call.lead == lead
    assert text == (
        f"Booked: Haircut with Jess at 9:00 AM on Saturday, March 15 for Dana "
        f"Whitfield, phone (512) 555-0187. Appointment id {appointment.pk}."
    )


def test_the_example_booking_by_start_time_and_stylist(salon, call):
    message = protocol.parse(load_payload("05-tool-calls-book-appointment"))

    body = tools.answer_tool_calls(message, business=salon.business, call=call)

    assert body["results"][0]["result"].startswith(
        "Booked: Haircut and color with Maria at 1:00 PM on Saturday, March 15"
    )
    appointment = Appointment.objects.get()
    assert (appointment.provider, appointment.start_at) == (
        salon.maria,
        at(SATURDAY, 13),
    )


def test_an_iso_start_time_is_read_as_local_wall_clock_time(salon, call):
    # CST's offset on a CDT day: the model meant 1 PM at the salon.
    text = result(
        salon,
        call,
        "book_appointment",
        {
            "service": "haircut",
            "start_time": "2025-03-15T13:00:00-06:00",
            "name": "Dana",
        },
    )

    assert "1:00 PM on Saturday, March 15" in text
    assert Appointment.objects.get().start_at == at(SATURDAY, 13)


def test_booking_by_day_and_spoken_time_picks_a_free_provider(salon, call):
    AppointmentFactory(
        business=salon.business,
        service=salon.haircut,
        provider=salon.jess,
        start_at=at(SATURDAY, 14),
    )

    text = result(
        salon,
        call,
        "book_appointment",
        {"service": "Haircut", "date": "Saturday", "time": "2pm", "name": "Dana"},
    )

    assert "Haircut with Maria at 2:00 PM on Saturday, March 15" in text


def test_a_redelivered_booking_returns_the_stored_answer_and_books_once(salon, call):
    slot_id = offered_slot(salon, call)
    args = {"slot_id": slot_id, "name": "Dana Whitfield"}

    first = run_one(salon, call, "book_appointment", args, ids=["call_book"])
    again = run_one(salon, call, "book_appointment", args, ids=["call_book"])

    assert again == first
    assert Appointment.objects.count() == 1
    assert ToolInvocation.objects.filter(tool_call_id="call_book").count() == 1


def test_a_redelivered_availability_check_hears_the_first_answer(salon, call):
    args = {"service": "haircut", "date": "Saturday"}
    first = run_one(salon, call, "check_availability", args, ids=["call_check"])
    for stylist in (salon.maria, salon.jess):  # 9 AM is booked before the redelivery
        AppointmentFactory(
            business=salon.business,
            service=salon.haircut,
            provider=stylist,
            start_at=at(SATURDAY, 9),
        )

    again = run_one(salon, call, "check_availability", args, ids=["call_check"])
    fresh = run_one(salon, call, "check_availability", args, ids=["call_fresh"])

    assert again == first
    assert fresh["result"] != first["result"]
    invocation = ToolInvocation.objects.get(tool_call_id="call_check")
    assert invocation.result == first["result"]
    assert invocation.duration_ms is not None


def test_a_slot_taken_after_it_was_offered_answers_with_alternatives(salon, call):
    slot_id = offered_slot(salon, call, provider="Maria")
    AppointmentFactory(  # someone else booked it meanwhile
        business=salon.business,
        service=salon.haircut,
        provider=salon.maria,
        start_at=at(SATURDAY, 9),
    )

    message = error(
        salon, call, "book_appointment", {"slot_id": slot_id, "name": "Dana"}
    )

    assert message.startswith(
        "Sorry, 9:00 AM on Saturday, March 15 with Maria was just taken. "
        "The nearest openings are: 10:00 AM on Saturday, March 15 with Maria (slot id:"
    )
    assert len(slot_ids(message)) == 3
    assert Appointment.objects.count() == 1
    assert not Lead.objects.exists()


def test_losing_the_race_at_the_database_answers_with_alternatives(salon, call, mocker):
    slot_id = offered_slot(salon, call, provider="Maria")
    AppointmentFactory(
        business=salon.business,
        service=salon.haircut,
        provider=salon.maria,
        start_at=at(SATURDAY, 9),
    )
    # Availability was read before the other booking committed.
    stale = Slot(
        salon.haircut.pk, salon.maria.pk, "Maria", at(SATURDAY, 9), at(SATURDAY, 10)
    )
    mocker.patch.object(booking_tools, "_free_slot", return_value=stale)

    message = error(
        salon, call, "book_appointment", {"slot_id": slot_id, "name": "Dana"}
    )

    assert "was just taken" in message
    assert "slot id:" in message
    assert Appointment.objects.count() == 1


def test_a_time_outside_opening_hours_is_not_booked(salon, call):
    message = error(
        salon,
        call,
        "book_appointment",
        {"service": "haircut", "date": "Saturday", "time": "7 PM", "name": "Dana"},
    )

    assert message.startswith(
        "7:00 PM on Saturday, March 15 isn't available for Haircut."
    )
    assert "The nearest openings are: 4:00 PM on Saturday" in message


def test_a_forged_slot_id_is_refused(salon, call):
    message = error(
        salon, call, "book_appointment", {"slot_id": "1-2-3.forged", "name": "Dana"}
    )

    assert "isn't valid" in message


def test_a_slot_id_of_another_business_is_refused(salon, call):
    other = build_salon(slug="elsewhere", with_line=False)
    slot = Slot(
        other.haircut.pk, other.maria.pk, "Maria", at(SATURDAY, 9), at(SATURDAY, 10)
    )

    message = error(
        salon, call, "book_appointment", {"slot_id": slot.slot_id, "name": "Dana"}
    )

    assert message == "That slot id isn't valid here. Check availability again."


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"service": "haircut"}, "I need the caller's name"),
        ({"name": "Dana", "phone": "12"}, "doesn't look like a phone number"),
        ({"name": "Dana", "service": "haircut", "date": "Saturday"}, "What time?"),
        (
            {"name": "Dana", "service": "haircut", "date": "this week", "time": "2pm"},
            "Which day exactly?",
        ),
    ],
)
def test_booking_without_what_it_needs_asks_for_it(salon, call, args, expected):
    assert expected in error(salon, call, "book_appointment", args)


def test_booking_on_a_hidden_number_needs_a_phone(salon, call):
    slot_id = offered_slot(salon, call)

    message = error(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_id, "name": "Dana"},
        caller=None,
    )

    assert message == "I need a phone number for the booking. Ask for one."


def test_booking_merges_into_what_staff_entered(salon, call):
    lead = LeadFactory(
        business=salon.business,
        phone=CALLER,
        name="Dana W.",
        email="dana@work.example",
        status=Lead.Status.WON,
        notes="VIP.",
    )
    slot_id = offered_slot(salon, call)

    result(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_id, "name": "Dana Whitfield", "email": "dana@example.com"},
    )

    lead.refresh_from_db()
    assert (lead.name, lead.email, lead.status) == (
        "Dana W.",
        "dana@work.example",
        Lead.Status.WON,
    )
    assert lead.notes == (
        "VIP.\n[2025-03-14] Roxy: gave the name Dana Whitfield; "
        "gave the email dana@example.com"
    )


def test_booking_uses_a_fixed_number_of_queries(
    salon, call, django_assert_max_num_queries
):
    slot_id = offered_slot(salon, call)

    # The booking, the lead merge, and the notification rows queued in the same
    # transaction (caller email and SMS, staff email and SMS: about four queries
    # each). Bounded by the business's recipients, not by how much data it has.
    with django_assert_max_num_queries(45):
        result(salon, call, "book_appointment", {"slot_id": slot_id, "name": "Dana"})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_booking_at_once_book_once():
    salon = build_salon()
    call = CallFactory(business=salon.business, caller_number=CALLER, lead=None)
    slot = availability.find_free_slots(
        salon.haircut, start_date=SATURDAY, end_date=SATURDAY, now=NOW
    )[0]
    message = parse_tool_calls(
        ("book_appointment", {"slot_id": slot.slot_id, "name": "Dana"}),
        ids=["call_twice"],
    )
    barrier = threading.Barrier(2)
    answers = []

    def deliver():
        try:
            barrier.wait()
            answers.append(
                tools.answer_tool_calls(message, business=salon.business, call=call)
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 2 and answers[0] == answers[1]
    assert answers[0]["results"][0]["result"].startswith("Booked:")
    assert Appointment.objects.count() == 1
    assert ToolInvocation.objects.count() == 1


# --- the caller's own appointments ---


@pytest.fixture
def danas(salon):
    lead = LeadFactory(business=salon.business, phone=CALLER, name="Dana")
    return AppointmentFactory(
        business=salon.business,
        service=salon.haircut,
        provider=salon.maria,
        lead=lead,
        start_at=at(SATURDAY, 10),
    )


@pytest.fixture
def someone_elses(salon):
    lead = LeadFactory(business=salon.business, phone="+15125550999", name="Sam")
    return AppointmentFactory(
        business=salon.business,
        service=salon.color,
        provider=salon.jess,
        lead=lead,
        start_at=at(SATURDAY, 11),
    )


def test_find_my_appointments_lists_only_the_callers_own(
    salon, call, danas, someone_elses
):
    other_salon = build_salon(slug="other-salon", with_line=False)
    AppointmentFactory(  # same number, another business
        business=other_salon.business,
        service=other_salon.haircut,
        provider=other_salon.maria,
        lead=LeadFactory(business=other_salon.business, phone=CALLER),
        start_at=at(SATURDAY, 12),
    )

    text = result(salon, call, "find_my_appointments", {})

    assert text == (
        "Upcoming appointments for this caller: Haircut with Maria at 10:00 AM on "
        f"Saturday, March 15 (appointment id: {danas.pk})."
    )


def test_find_my_appointments_ignores_a_number_given_in_the_arguments(
    salon, call, danas, someone_elses
):
    text = result(salon, call, "find_my_appointments", {"phone": "+15125550999"})

    assert "Sam" not in text and "color" not in text
    assert str(danas.pk) in text


def test_no_appointments_is_said_plainly(salon, call, someone_elses):
    text = result(salon, call, "find_my_appointments", {})

    assert text.startswith("There are no upcoming appointments under (512) 555-0187.")


def test_a_hidden_number_cannot_look_up_appointments(salon, call, danas):
    message = error(salon, call, "find_my_appointments", {}, caller=None)

    assert "number is hidden" in message


def test_cancel_cancels_the_callers_only_appointment(salon, call, danas):
    text = result(salon, call, "cancel_appointment", {"reason": "Feeling ill"})

    danas.refresh_from_db()
    assert danas.status == Appointment.Status.CANCELLED
    assert "Feeling ill" in danas.notes
    assert text == "Cancelled: Haircut with Maria at 10:00 AM on Saturday, March 15."


def test_cancel_refuses_another_callers_appointment(salon, call, danas, someone_elses):
    message = error(
        salon, call, "cancel_appointment", {"appointment_id": str(someone_elses.pk)}
    )

    someone_elses.refresh_from_db()
    assert someone_elses.status == Appointment.Status.BOOKED
    assert "isn't one of this caller's upcoming appointments" in message
    assert "Sam" not in message


def test_cancel_asks_which_when_there_are_several(salon, call, danas):
    later = AppointmentFactory(
        business=salon.business,
        service=salon.blowout,
        provider=salon.jess,
        lead=danas.lead,
        start_at=at(SATURDAY, 15),
    )

    message = error(salon, call, "cancel_appointment", {})

    assert f"(appointment id: {danas.pk})" in message
    assert f"(appointment id: {later.pk})" in message
    assert Appointment.objects.active().count() == 2


def test_reschedule_moves_the_callers_appointment_to_an_offered_slot(
    salon, call, danas
):
    slot_id = offered_slot(salon, call, date="Monday", provider="Jess")

    text = result(
        salon,
        call,
        "reschedule_appointment",
        {"appointment_id": str(danas.pk), "slot_id": slot_id},
    )

    danas.refresh_from_db()
    assert (danas.provider, danas.start_at) == (salon.jess, at(dt.date(2025, 3, 17), 9))
    assert text.startswith(
        "Moved: Haircut is now with Jess at 9:00 AM on Monday, March 17."
    )


def test_reschedule_by_half_an_hour_may_overlap_the_old_time(salon, call, danas):
    text = result(
        salon,
        call,
        "reschedule_appointment",
        {"date": "Saturday", "time": "10:30 AM"},
    )

    danas.refresh_from_db()
    assert danas.start_at == at(SATURDAY, 10, 30)
    assert danas.status == Appointment.Status.BOOKED
    assert "Maria at 10:30 AM on Saturday" in text


def test_reschedule_to_a_taken_time_offers_alternatives(
    salon, call, danas, someone_elses
):
    message = error(
        salon,
        call,
        "reschedule_appointment",
        {"date": "Saturday", "time": "11 AM", "provider": "Jess"},
    )

    danas.refresh_from_db()
    assert danas.start_at == at(SATURDAY, 10)
    assert message.startswith(
        "11:00 AM on Saturday, March 15 with Jess isn't available for Haircut."
    )


def test_reschedule_refuses_another_callers_appointment(
    salon, call, danas, someone_elses
):
    message = error(
        salon,
        call,
        "reschedule_appointment",
        {"appointment_id": str(someone_elses.pk), "date": "Monday", "time": "9 AM"},
    )

    someone_elses.refresh_from_db()
    assert someone_elses.start_at == at(SATURDAY, 11)
    assert "isn't one of this caller's" in message


def test_reschedule_refuses_a_slot_for_another_service(salon, call, danas):
    slot_id = offered_slot(salon, call, service="blowout", date="Monday")

    message = error(salon, call, "reschedule_appointment", {"slot_id": slot_id})

    assert message.startswith("That slot is for another service.")


# --- capture_lead, take_message, get_business_info ---


def test_the_example_lead_is_captured_with_a_dated_note(salon, call):
    message = protocol.parse(load_payload("06-tool-calls-capture-lead"))

    body = tools.answer_tool_calls(message, business=salon.business, call=call)

    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.email, lead.interest) == (
        "Dana Whitfield",
        CALLER,
        "dana.whitfield@example.com",
        "bridal_party",
    )
    assert lead.status == Lead.Status.NEW
    assert lead.notes == (
        "[2025-03-14] Roxy: Bride plus 4 bridesmaids (5 people); wedding on "
        "2025-06-21. (prefers email); interest: bridal_party"
    )
    call.refresh_from_db()
    assert call.lead == lead
    assert body["results"][0]["result"] == (
        f"Saved Dana Whitfield's details (lead {lead.pk}). The team at Maison Belle "
        "Hair Studio will follow up at (512) 555-0187."
    )


def test_capture_lead_does_not_overwrite_staff_data_or_downgrade(salon, call):
    lead = LeadFactory(
        business=salon.business,
        phone=CALLER,
        name="Dana W.",
        email="",
        status=Lead.Status.QUALIFIED,
        interest="Balayage",
    )

    result(
        salon,
        call,
        "capture_lead",
        {
            "name": "Dana W.",
            "email": "dana@example.com",
            "interest": "bridal",
            "urgency": "urgent",
        },
    )

    lead.refresh_from_db()
    assert (lead.name, lead.email, lead.status, lead.interest) == (
        "Dana W.",
        "dana@example.com",
        Lead.Status.QUALIFIED,
        "Balayage",
    )
    assert lead.notes.endswith("Roxy: interest: bridal; urgency: urgent")
    assert Lead.objects.count() == 1


def test_capture_lead_needs_a_way_to_reach_them(salon, call):
    message = error(salon, call, "capture_lead", {"name": "Dana"}, caller=None)

    assert "phone number or an email" in message


def test_take_message_records_an_open_callback_request(salon, call):
    text = result(
        salon,
        call,
        "take_message",
        {
            "name": "Dana",
            "message": "Please call about the bridal package.",
            "urgency": "asap",
        },
    )

    callback = CallbackRequest.objects.get()
    assert callback.status == CallbackRequest.Status.OPEN
    assert callback.urgency == CallbackRequest.Urgency.URGENT
    assert callback.callback_number == CALLER
    assert callback.call == call
    assert callback.lead.phone == CALLER
    assert callback.business == salon.business
    assert text == (
        "Message taken for the team at Maison Belle Hair Studio. They will call "
        "Dana back as soon as they can at (512) 555-0187."
    )


def test_take_message_uses_the_number_given(salon, call):
    result(
        salon,
        call,
        "take_message",
        {"message": "Call me at work", "callback_number": "512-555-0123"},
    )

    assert CallbackRequest.objects.get().callback_number == "+15125550123"


@pytest.mark.parametrize(
    ("args", "caller", "expected"),
    [
        ({"message": ""}, CALLER, "What is the message?"),
        ({"message": "Hi", "callback_number": "555"}, CALLER, "doesn't look like"),
        ({"message": "Hi"}, None, "I need a number to call them back on"),
    ],
)
def test_take_message_asks_for_what_is_missing(salon, call, args, caller, expected):
    assert expected in error(salon, call, "take_message", args, caller=caller)
    assert not CallbackRequest.objects.exists()


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("hours", "Opening hours: Monday 9:00 AM to 5:00 PM;"),
        ("address", "Address: 1200 S Congress Ave, Austin, TX 78704."),
        ("prices", "Haircut: 1 hour, $45, with Jess or Maria."),
        ("policies", "No policies are written down."),
        ("closures", "No closures in the next 42 days."),
    ],
)
def test_get_business_info_answers_from_the_business_data(salon, call, topic, expected):
    assert expected in result(salon, call, "get_business_info", {"topic": topic})


def test_get_business_info_flattens_multiline_faq(salon, call):
    salon.business.faq = "Parking?\n- Yes, **free** behind the salon."
    salon.business.save()

    text = result(salon, call, "get_business_info", {"topic": "faq"})

    assert text == "Parking? - Yes, free behind the salon."


# --- holes found by an attack run (issue #15) ---


@pytest.mark.parametrize("date", ["9999-12-31", "December 31, 9999"])
def test_a_date_at_the_end_of_the_calendar_is_a_spoken_error_not_a_crash(
    salon, call, date
):
    for name, args in (
        ("check_availability", {"service": "haircut", "date": date}),
        ("book_appointment", {"service": "haircut", "date": date, "time": "10 AM"}),
    ):
        said = error(salon, call, name, {"name": "Dana", **args})

        assert said != tools.FAILED
        assert "takes bookings up to" in said
        assert_speakable(said)
    assert not Appointment.objects.exists()


def test_an_iso_start_time_at_the_end_of_the_calendar_is_refused(salon, call):
    said = error(
        salon,
        call,
        "book_appointment",
        {"name": "Dana", "service": "haircut", "start_time": "9999-12-31T10:00:00"},
    )

    assert "takes bookings up to" in said


def test_rescheduling_to_the_end_of_the_calendar_is_refused(salon, call, danas):
    said = error(
        salon,
        call,
        "reschedule_appointment",
        {"appointment_id": str(danas.pk), "date": "9999-12-31", "time": "10 AM"},
    )

    assert "takes bookings up to" in said
    danas.refresh_from_db()
    assert danas.start_at == at(SATURDAY, 10)


@pytest.mark.parametrize("wanted", ["²", "١٢", "99999999999999999999"])
def test_an_appointment_id_that_is_no_plain_number_is_not_one_of_theirs(
    salon, call, danas, wanted
):
    said = error(salon, call, "cancel_appointment", {"appointment_id": wanted})

    assert said.startswith("That appointment isn't one of this caller's")
    danas.refresh_from_db()
    assert danas.status == Appointment.Status.BOOKED


def test_an_email_too_long_for_an_address_is_asked_again_before_booking(salon, call):
    slot_id = offered_slot(salon, call)
    email = "a" * 300 + "@example.com"  # 312 characters: passes a format check

    said = error(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_id, "name": "Dana", "email": email},
    )

    assert "too long" in said
    assert not Appointment.objects.exists()


def test_capture_lead_never_cuts_an_email_to_fit(salon, call):
    said = error(
        salon,
        call,
        "capture_lead",
        {"name": "Dana", "email": "b" * 250 + "@example.com"},
        caller=None,
    )

    assert "too long" in said
    assert not Lead.objects.filter(email__startswith="bbb").exists()


def test_an_email_of_the_longest_allowed_length_is_kept_whole(salon, call):
    email = "c" * 64 + "@" + ".".join(["d" * 60, "e" * 60, "f" * 60, "com"])
    assert len(email) == 251
    result(salon, call, "capture_lead", {"name": "Dana", "email": email}, caller=None)

    assert Lead.objects.get(business=salon.business).email == email


def test_the_same_tool_call_id_twice_in_one_message_runs_only_the_first(salon, call):
    first, second = run(
        salon,
        call,
        ("take_message", {"message": "Please call me back"}),
        ("capture_lead", {"name": "Dana", "email": "dana@example.com"}),
        ids=["call_same", "call_same"],
    )

    assert first["result"].startswith("Message taken")
    assert second["error"] == tools.REPEATED_ID
    assert ToolInvocation.objects.get().name == "take_message"


def test_a_tool_call_id_reused_in_another_call_is_run_for_that_call(salon, call):
    other = build_salon(with_line=False, slug="another-salon", name="Other Salon")
    other_call = CallFactory(business=other.business, caller_number=CALLER, lead=None)
    args = {"message": "Please call me back"}
    run_one(salon, call, "take_message", args, ids=["call_reused"])

    again = run_one(other, other_call, "take_message", args, ids=["call_reused"])

    assert "Other Salon" in again["result"]
    assert "Maison Belle" not in again["result"]
    assert CallbackRequest.objects.filter(business=other.business).count() == 1
    assert ToolInvocation.objects.filter(tool_call_id="call_reused").count() == 2
