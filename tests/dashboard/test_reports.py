import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.appointments.models import Appointment
from apps.businesses import roles, switcher
from apps.businesses.models import Membership
from apps.calls.alerts import FINISHED_REASON_PREFIXES
from apps.dashboard import reports
from tests.appointments.factories import AppointmentFactory, ServiceFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calls.factories import CallFactory, ToolInvocationFactory
from tests.leads.factories import LeadFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# Wednesday afternoon in Austin; the 7-day period runs from Thursday 5 March.
NOW = dt.datetime(2026, 3, 11, 15, 0, tzinfo=CHICAGO)
TODAY = NOW.date()

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def _call(business, at: dt.datetime, **fields):
    call = CallFactory(business=business, **fields)
    type(call).objects.filter(pk=call.pk).update(created_at=at)
    call.refresh_from_db()
    return call


def _booking(call, service, **fields):
    return AppointmentFactory(
        business=call.business, service=service, source_call=call, **fields
    )


def _days_ago(days: int, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(hour), CHICAGO)


@pytest.fixture
def business():
    return BusinessFactory(timezone="America/Chicago")


@pytest.fixture
def week(business):
    """Seven calls in the last seven days and one before, each with a known fate."""
    cut = ServiceFactory(business=business, name="Cut", price=Decimal("85.00"))
    colour = ServiceFactory(business=business, name="Colour", price=Decimal("120"))
    consult = ServiceFactory(business=business, name="Consult", price=None)
    handled = dict(ended_reason="assistant-ended-call")
    booked = _call(business, _days_ago(0), intent="book", cost="0.20", **handled)
    _booking(booked, cut)
    no_slot = _call(
        business, _days_ago(0, 12), intent="book", cost="0.05", duration_seconds=10
    )
    _call(
        business,
        _days_ago(1),
        intent="question",
        cost="0.30",
        ended_reason="assistant-forwarded-call",
    )
    cancelled = _call(
        business,
        _days_ago(1),
        intent="book",
        cost="0.25",
        ended_reason="assistant-said-end-call-phrase",
    )
    _booking(cancelled, colour, status=Appointment.Status.CANCELLED)
    _call(business, _days_ago(2), intent="", cost=None, ended_reason="voicemail")
    moved = _call(business, _days_ago(2), intent="reschedule", cost="0.10")
    ToolInvocationFactory(call=moved, name="reschedule_appointment", error="")
    free = _call(business, _days_ago(3), intent="book", cost="0.10")
    _booking(free, consult)
    AppointmentFactory(business=business, service=cut)  # booked by staff, today
    _call(business, _days_ago(10), intent="book", cost="9.99")  # before the period
    return {"no_slot": no_slot}


def test_the_week_in_figures(business, week):
    report = reports.build_report(business, days=7)

    assert [day.day for day in report.days][::6] == [TODAY - dt.timedelta(6), TODAY]
    assert (report.calls, report.booked_calls, report.conversion_percent) == (7, 3, 43)
    assert _legend(report.outcomes) == {
        "handled": 4,
        "transferred": 1,
        "missed": 1,
        "failed": 1,
    }
    assert _legend(report.intents) == {"book": 4, "question": 1, "reschedule": 1, "": 1}
    assert _legend(report.bookings) == {"roxy": 2, "staff": 1, "cancelled": 1}
    assert report.unbooked == [week["no_slot"]]
    assert report.unbooked_total == 1


def test_what_roxy_cost_against_what_she_booked(business, week):
    money = reports.build_report(business, days=7).money

    assert money.cost == Decimal("1.00")
    assert money.value == Decimal(
        "85.00"
    )  # the cancelled colour and unpriced consult add nothing
    assert (money.bookings, money.cancelled, money.unpriced) == (2, 1, 1)
    assert money.uncosted == 1
    assert money.cost_per_booking == Decimal("0.50")
    assert money.return_multiple == 85


def test_a_longer_period_takes_in_older_calls(business, week):
    report = reports.build_report(business, days=30)

    assert len(report.days) == 30
    assert report.calls == 8
    assert report.money.cost == Decimal("10.99")


def test_a_day_is_the_business_local_day():
    tokyo = BusinessFactory(timezone="Asia/Tokyo")
    # 14:59 UTC on 10 March is 23:59 that day in Tokyo; 15:00 UTC is 11 March there.
    _call(tokyo, dt.datetime(2026, 3, 10, 14, 59, tzinfo=dt.UTC))
    _call(tokyo, dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC))
    # Tokyo's 7 days (it is already 12 March there) start at midnight on 6 March.
    _call(tokyo, dt.datetime(2026, 3, 5, 14, 59, tzinfo=dt.UTC))
    _call(tokyo, dt.datetime(2026, 3, 5, 15, 0, tzinfo=dt.UTC))

    report = reports.build_report(tokyo, days=7)

    calls = {day.day: day.calls for day in report.days if day.calls}
    assert report.days[-1].day == dt.date(2026, 3, 12)
    assert calls == {
        dt.date(2026, 3, 6): 1,
        dt.date(2026, 3, 10): 1,
        dt.date(2026, 3, 11): 1,
    }


def test_another_business_is_never_counted(business, week):
    theirs = BusinessFactory(timezone="America/Chicago")
    call = _call(theirs, _days_ago(0), intent="book", cost="5.00")
    _booking(call, ServiceFactory(business=theirs, price=Decimal("500")))
    _call(theirs, _days_ago(0), intent="book", cost="5.00")

    mine = reports.build_report(business, days=7)
    empty = reports.build_report(BusinessFactory(), days=7)

    assert (mine.calls, mine.money.cost, mine.money.value) == (
        7,
        Decimal("1.00"),
        Decimal("85.00"),
    )
    assert mine.unbooked == [week["no_slot"]]
    assert (empty.calls, empty.money.cost, empty.unbooked_total) == (0, 0, 0)
    assert empty.outcomes.legend == [] and empty.bookings.legend == []


def test_the_latest_fifty_unbooked_calls_are_listed_newest_first(business):
    calls = [
        _call(business, _days_ago(n // 10, hour=3 + n % 10), intent="book")
        for n in range(55)
    ]
    newest = CallFactory(business=business, intent="book")  # created now

    report = reports.build_report(business, days=7)

    assert report.unbooked_total == 56
    assert len(report.unbooked) == reports.UNBOOKED_SHOWN
    assert report.unbooked[0] == newest
    assert (
        report.unbooked[1:]
        == sorted(calls, key=lambda call: call.created_at, reverse=True)[:49]
    )


@pytest.mark.parametrize(
    ("reason", "seconds", "outcome"),
    [
        ("assistant-ended-call", 60, "handled"),
        ("assistant-ended-call-after-message-spoken", 60, "handled"),
        ("exceeded-max-duration", 600, "handled"),
        ("customer-ended-call", 95, "handled"),  # a conversation, then goodbye
        ("customer-ended-call", 5, "missed"),
        ("customer-ended-call", None, "missed"),
        ("silence-timed-out", 30, "missed"),
        ("customer-ended-call-during-transfer", 40, "missed"),
        ("assistant-forwarded-call", 40, "transferred"),
        ("voicemail", 20, "failed"),
        ("pipeline-error-openai-llm-failed", 3, "failed"),
        ("", None, "open"),
    ],
)
def test_vapi_reasons_become_plain_outcomes(business, reason, seconds, outcome):
    _call(business, _days_ago(0), ended_reason=reason, duration_seconds=seconds)

    assert _legend(reports.build_report(business, days=7).outcomes) == {outcome: 1}


def test_a_call_the_missed_call_alert_calls_finished_is_never_missed_here(business):
    for reason in FINISHED_REASON_PREFIXES:
        _call(business, _days_ago(0), ended_reason=reason, duration_seconds=3)

    outcomes = _legend(reports.build_report(business, days=7).outcomes)

    assert "missed" not in outcomes
    assert sum(outcomes.values()) == len(FINISHED_REASON_PREFIXES)


def test_an_intent_from_an_older_vocabulary_counts_as_other(business):
    _call(business, _days_ago(0), intent="pricing")

    assert _legend(reports.build_report(business, days=7).intents) == {"other": 1}


def test_bars_stack_to_the_days_total_under_a_round_scale(business, week):
    chart = reports.build_report(business, days=7).outcomes
    today = chart.columns[-1]

    assert chart.scale == 2  # the busiest day had 2 calls
    assert chart.width == 70 and [c.x for c in chart.columns][:2] == [0, 10]
    assert [(s.series.key, s.count) for s in today.segments] == [
        ("handled", 1),
        ("missed", 1),
    ]
    assert [(s.y, s.height) for s in today.segments] == [(50, 50), (0, 50)]
    assert (
        today.tip
        == "Wed 11 Mar: 2 calls (Answered and handled 1, Missed or hung up early 1)"
    )
    assert [c.label for c in chart.columns] == [
        "Thu 5",
        "Fri 6",
        "Sat 7",
        "Sun 8",
        "Mon 9",
        "Tue 10",
        "Wed 11",
    ]


def test_a_long_period_labels_one_day_a_week(business):
    labels = [c.label for c in reports.build_report(business, days=30).bookings.columns]

    assert [label for label in labels if label] == [
        "11 Feb",
        "18 Feb",
        "25 Feb",
        "4 Mar",
        "11 Mar",
    ]


@pytest.mark.parametrize(
    ("peak", "scale"),
    [(0, 2), (1, 2), (3, 4), (9, 10), (11, 20), (41, 60), (100, 100), (101, 200)],
)
def test_the_scale_is_a_round_number_with_a_whole_half(peak, scale):
    assert reports._round_up(peak) == scale


def test_the_report_costs_the_same_queries_whatever_the_volume(
    business, django_assert_max_num_queries
):
    service = ServiceFactory(business=business)
    _booking(_call(business, _days_ago(0), intent="book"), service)
    _call(business, _days_ago(0), intent="book")  # and one that booked nothing
    with django_assert_max_num_queries(3) as small:
        reports.build_report(business, days=30)
    for n in range(50):
        call = _call(business, _days_ago(n % 30), intent="book", cost="0.10")
        if n % 3:
            _booking(call, service, lead=LeadFactory(business=business))
    with django_assert_max_num_queries(len(small.captured_queries)):
        report = reports.build_report(business, days=30)
    assert report.calls == 52


# The page: the view, its roles and its tenancy.


@pytest.fixture
def url():
    return reverse("admin:reports")


def _login(client, role, business=None):
    member = MembershipFactory(role=role, business=business or BusinessFactory())
    client.force_login(member.user)
    return member


def test_a_manager_reads_their_week(client, business, week, url):
    _login(client, Membership.Role.MANAGER, business)

    response = client.get(url)
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["report"].business == business
    assert response.context["report"].calls == 7
    assert "Thu 5 Mar to today, Wed 11 Mar; days in America/Chicago time." in page
    assert "Roxy booked <strong>$85.00</strong> of services" in page
    assert page.count('<svg class="vh-bars"') == 3
    assert "<title>Wed 11 Mar: 2 calls" in page
    assert reverse("admin:calls_call_change", args=[week["no_slot"].pk]) in page
    assert 'href="/static/dashboard/reports.css"' in page
    assert not re.search(r"\sstyle=|<style|<script(?![^>]*\bsrc=)", page)


def test_the_period_is_picked_from_the_page(client, business, week, url):
    _login(client, Membership.Role.MANAGER, business)

    report = client.get(url, {"days": 30}).context["report"]

    assert (len(report.days), report.calls) == (30, 8)


def test_front_desk_may_not_read_the_reports(client, business, week, url):
    _login(client, Membership.Role.FRONT_DESK, business)

    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("admin:index")).content.decode()


def test_the_index_links_the_reports_for_a_manager(client, business, url):
    _login(client, Membership.Role.MANAGER, business)

    assert url in client.get(reverse("admin:index")).content.decode()


def test_staff_of_several_businesses_pick_among_those_they_manage(
    client, business, week, url
):
    member = _login(client, Membership.Role.MANAGER, business)
    other = BusinessFactory(name="Second Studio", timezone="America/New_York")
    front_desk_only = BusinessFactory(name="Desk Only")
    MembershipFactory(user=member.user, business=other, role=Membership.Role.MANAGER)
    MembershipFactory(user=member.user, business=front_desk_only)

    response = client.get(url, {"business": other.pk})
    picker = response.context["picker"]

    assert response.context["report"].business == other
    # Theirs to manage, by name; the studio where they are front desk is not offered.
    assert [pk for pk, _ in picker.fields["business"].choices] == [
        other.pk,
        business.pk,
    ]
    assert client.get(url, {"business": front_desk_only.pk}).status_code == 404


def test_the_page_opens_on_the_business_the_header_narrowed_the_admin_to(
    client, business, url
):
    member = _login(client, Membership.Role.MANAGER, business)
    other = BusinessFactory(name="Zed Studio")
    MembershipFactory(user=member.user, business=other, role=Membership.Role.MANAGER)
    desk = MembershipFactory(user=member.user).business
    session = client.session
    session[switcher.SESSION_KEY] = other.pk
    session.save()

    assert client.get(url).context["report"].business == other
    assert f'value="{other.pk}" selected' in client.get(url).content.decode()

    session[switcher.SESSION_KEY] = desk.pk  # front desk there: no reports
    session.save()
    assert client.get(url).context["report"].business == business


def test_another_business_cannot_be_asked_for(client, business, week, url):
    _login(client, Membership.Role.MANAGER)

    response = client.get(url, {"business": business.pk})

    assert response.status_code == 404
    assert client.get(url, {"days": 8}).status_code == 404


def test_an_operator_reads_any_business(admin_client, business, week, url):
    report = admin_client.get(url, {"business": business.pk}).context["report"]

    assert report.calls == 7


def test_the_grant_is_the_managers_alone():
    assert roles.allows(Membership.Role.MANAGER, roles.REPORTS, roles.VIEW)
    assert not roles.allows(Membership.Role.FRONT_DESK, roles.REPORTS, roles.VIEW)


def test_the_page_costs_the_same_queries_whatever_the_volume(
    client, business, url, django_assert_max_num_queries
):
    _login(client, Membership.Role.MANAGER, business)
    service = ServiceFactory(business=business)
    _call(business, _days_ago(0), intent="book")
    client.get(url)  # the session's time zone is looked up once
    with django_assert_max_num_queries(30) as small:
        client.get(url, {"days": 30})
    for n in range(50):
        call = _call(business, _days_ago(n % 30), intent="book", summary=f"Call {n}")
        if n % 3:
            _booking(call, service, lead=LeadFactory(business=business))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, {"days": 30})
    assert response.context["report"].unbooked_total == 18


def _legend(chart) -> dict[str, int]:
    return {series.key: total for series, total in chart.legend}
