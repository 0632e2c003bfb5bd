import datetime as dt

import pytest
from django.utils import timezone

from apps.calls import alerts
from apps.calls.models import Call
from apps.notifications.models import Notification
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory, ToolInvocationFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.MISSED_CALL_MAX_SECONDS = 20
    settings.POST_CALL_ALERT_MAX_AGE_HOURS = 24
    settings.SITE_URL = ""


def hung_up(**fields) -> Call:
    defaults = {
        "ended_reason": "customer-ended-call",
        "duration_seconds": 8,
        "transcript": "AI: Thanks for calling.\nUser: Hello?",
    }
    return CallFactory(**(defaults | fields))


@pytest.mark.parametrize(
    ("fields", "missed"),
    [
        ({}, True),  # hung up within seconds, having said one thing
        ({"duration_seconds": 45}, False),  # one question, answered
        ({"duration_seconds": 45, "transcript": "AI: Hi, this is Roxy."}, True),
        (
            {"transcript": "AI: Hi.\nUser: Hours?\nAI: Nine to six.\nUser: Thanks"},
            False,
        ),
        ({"ended_reason": "silence-timed-out", "duration_seconds": 90}, True),
        (
            {
                "ended_reason": "pipeline-error-openai-llm-failed",
                "duration_seconds": 200,
            },
            True,
        ),
        ({"ended_reason": "customer-ended-call-during-transfer"}, True),
        ({"ended_reason": "assistant-ended-call"}, False),
        ({"ended_reason": "assistant-forwarded-call"}, False),
        ({"caller_number": ""}, False),  # anonymous: nobody to call back
    ],
)
def test_what_counts_as_a_missed_call(fields, missed):
    assert alerts.is_missed_call(hung_up(**fields)) is missed


def test_a_call_where_roxy_ran_a_tool_is_not_missed():
    call = hung_up(ended_reason="silence-timed-out")
    ToolInvocationFactory(call=call, name="take_message")

    assert alerts.is_missed_call(call) is False


def test_tool_calls_in_the_messages_count_as_tool_use():
    call = hung_up(
        messages=[
            {"role": "user", "message": "Book me in."},
            {"role": "tool_calls", "toolCalls": [{"function": {"name": "x"}}]},
        ]
    )

    assert alerts.is_missed_call(call) is False


def test_alerts_are_queued_once_per_call_and_kind():
    business = BusinessFactory(notification_phones="")
    call = CallFactory(business=business, lead=LeadFactory(business=business))

    first = alerts.queue_call_alerts(call, facts={"follow_up_urgency": "high"})
    again = alerts.queue_call_alerts(call, facts={"follow_up_urgency": "high"})

    assert [n.kind for n in first] == ["new_lead", "urgent_follow_up"]
    assert again == first
    assert Notification.objects.count() == 2


def test_a_call_with_no_business_raises_no_alerts():
    call = CallFactory(business=None)

    assert alerts.queue_call_alerts(call, facts={"follow_up_urgency": "urgent"}) == []


def test_a_call_that_ended_long_ago_raises_no_alerts():
    ended = timezone.now() - dt.timedelta(hours=25)
    call = CallFactory(started_at=ended, ended_at=ended, duration_seconds=3)

    assert alerts.is_missed_call(call)  # it would alert, were it recent
    assert alerts.queue_call_alerts(call, facts={}) == []
