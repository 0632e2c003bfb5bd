import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from apps.calls.admin import SUMMARY_CHARS
from apps.calls.models import Call
from tests.calls.factories import (
    CallFactory,
    ToolInvocationFactory,
    WebhookEventFactory,
)
from tests.core.factories import UserFactory
from tests.leads.factories import LeadFactory
from tests.vapi.payloads import load_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported_call():
    report = load_payload("11-end-of-call-report")["message"]
    call = CallFactory(
        messages=report["artifact"]["messages"],
        recording_url=report["artifact"]["recordingUrl"],
        vapi_summary=report["analysis"]["summary"],
        summary="Dana booked a cut and colour and asked about bridal styling.",
        intent="book",
        sentiment="positive",
    )
    call.lead = LeadFactory(business=call.business, name="Dana Whitfield")
    call.save()
    return call


def test_call_list_shows_the_caller_formatted_and_the_lead(admin_client, reported_call):
    response = admin_client.get(reverse("admin:calls_call_changelist"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "(512) 555-0187" in page
    assert "Dana Whitfield" in page


def test_call_page_reads_as_a_conversation_with_tools_recording_and_both_analyses(
    admin_client, reported_call
):
    response = admin_client.get(
        reverse("admin:calls_call_change", args=[reported_call.pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Thanks for calling Maison Belle Hair Studio" in page
    assert "check_availability" in page
    assert "<audio controls" in page
    assert "Dana booked a cut and colour" in page  # ours
    assert "Dana Whitfield called Maison Belle" in page  # VAPI's


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:audio/wav;base64,AA"]
)
def test_call_page_never_renders_a_recording_url_that_is_not_http(
    admin_client, reported_call, url
):
    # Planted directly: rows from before the webhook checked schemes, or by hand.
    Call.objects.filter(pk=reported_call.pk).update(recording_url=url)

    page = _call_page(admin_client, reported_call)

    assert "No recording." in page
    assert "<audio" not in page
    assert url.strip() not in page


# Late on March 11 in the business's zone (America/Chicago), which is what staff read.
PURGED_ON = dt.datetime(2025, 3, 12, 3, 30, tzinfo=dt.UTC)


def _purged(call, reason):
    Call.objects.filter(pk=call.pk).update(
        transcript="",
        messages=[],
        recording_url="",
        purged_at=PURGED_ON,
        purge_reason=reason,
    )
    return call


def test_a_purged_call_says_when_and_why_its_conversation_is_gone(
    admin_client, reported_call
):
    _purged(reported_call, Call.PurgeReason.RETENTION)
    page = admin_client.get(
        reverse("admin:calls_call_change", args=[reported_call.pk])
    ).content.decode()
    assert (
        "Purged on Tue 11 Mar 2025 under the business&#x27;s retention policy." in page
    )
    assert "<audio" not in page
    assert "No transcript was recorded" not in page
    assert "Dana booked a cut and colour" in page  # the analysis stays


def test_an_erased_call_says_the_caller_asked(admin_client, reported_call):
    _purged(reported_call, Call.PurgeReason.ERASURE)
    page = admin_client.get(
        reverse("admin:calls_call_change", args=[reported_call.pk])
    ).content.decode()
    assert "Erased on Tue 11 Mar 2025 at the caller&#x27;s request." in page
    assert "retention policy" not in page


def _call_page(admin_client, call) -> str:
    url = reverse("admin:calls_call_change", args=[call.pk])
    return admin_client.get(url).content.decode()


def test_an_erased_call_says_when_vapi_deleted_its_copy(admin_client, reported_call):
    _purged(reported_call, Call.PurgeReason.ERASURE)
    Call.objects.filter(pk=reported_call.pk).update(
        vapi_deleted_at=PURGED_ON + dt.timedelta(days=1)
    )

    page = _call_page(admin_client, reported_call)

    assert "Deleted at VAPI on Wed 12 Mar 2025." in page
    assert "Waiting to be deleted at VAPI" not in page


@pytest.mark.parametrize(
    ("key", "notice"),
    [
        ("vapi-key", "Waiting to be deleted at VAPI."),
        ("", "Waiting to be deleted at VAPI: VAPI_API_KEY is not set."),
    ],
)
def test_an_erased_call_vapi_still_holds_says_it_is_waiting(
    admin_client, reported_call, settings, key, notice
):
    settings.VAPI_API_KEY = key
    _purged(reported_call, Call.PurgeReason.ERASURE)

    assert notice in _call_page(admin_client, reported_call)


@pytest.mark.parametrize(("enabled", "shown"), [(False, False), (True, True)])
def test_a_purged_call_mentions_vapi_only_when_purged_calls_are_deleted_there(
    admin_client, reported_call, settings, enabled, shown
):
    settings.VAPI_DELETE_PURGED_CALLS = enabled
    _purged(reported_call, Call.PurgeReason.RETENTION)

    assert (
        "Waiting to be deleted at VAPI" in _call_page(admin_client, reported_call)
    ) is shown


def test_a_call_never_purged_shows_no_notice(admin_client):
    call = CallFactory(transcript="")
    page = admin_client.get(
        reverse("admin:calls_call_change", args=[call.pk])
    ).content.decode()
    assert "No transcript was recorded" in page
    assert "Purged on" not in page


@pytest.mark.parametrize(("choice", "expected"), [("yes", "old"), ("no", "new")])
def test_the_call_list_filters_on_purged(admin_client, choice, expected):
    calls = {
        "old": _purged(CallFactory(), Call.PurgeReason.RETENTION),
        "new": CallFactory(),
    }
    response = admin_client.get(
        reverse("admin:calls_call_changelist"), {"purged": choice}
    )
    assert [c.pk for c in response.context["cl"].result_list] == [calls[expected].pk]


def test_calls_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:calls_call_add")).status_code == 403


def test_webhook_events_and_tool_invocations_render(admin_client):
    event = WebhookEventFactory()
    invocation = ToolInvocationFactory()
    for name, obj in [("webhookevent", event), ("toolinvocation", invocation)]:
        assert (
            admin_client.get(reverse(f"admin:calls_{name}_changelist")).status_code
            == 200
        )
        assert (
            admin_client.get(
                reverse(f"admin:calls_{name}_change", args=[obj.pk])
            ).status_code
            == 200
        )


def test_rerun_analysis_action_queues_the_selected_calls(admin_client, mocker):
    enqueue = mocker.patch("apps.calls.post_call.enqueue_analysis")
    from apps.calls.models import Call

    call = CallFactory(analysis_status=Call.AnalysisStatus.COMPLETED)
    response = admin_client.post(
        reverse("admin:calls_call_changelist"),
        {"action": "rerun_analysis", "_selected_action": [call.pk]},
        follow=True,
    )
    assert "Queued 1 call(s) for analysis." in response.content.decode()
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert enqueue.call_count <= 1  # rung on commit; the test transaction never commits


def _breakdown() -> dict:
    report = load_payload("11-end-of-call-report")["message"]
    return {**report["call"]["costBreakdown"], "costs": report["costs"]}


def _list_page(admin_client, **params) -> str:
    response = admin_client.get(reverse("admin:calls_call_changelist"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_call_list_reads_who_when_what_how_long_and_how_it_went(
    client, reported_call
):
    manager = UserFactory(is_staff=False)
    business_services.add_member(
        reported_call.business, user=manager, role=Membership.Role.MANAGER
    )
    client.force_login(manager)

    page = _list_page(client)

    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers == ["when", "caller", "short_summary", "length", "outcome", "usd"]
    assert "1:34" in page  # 94 seconds
    assert "book · positive" in page
    lead_url = reverse("admin:leads_lead_change", args=[reported_call.lead_id])
    assert f'<a href="{lead_url}">Dana Whitfield</a>' in page


def test_the_call_list_shows_a_short_summary_and_the_whole_on_hover(admin_client):
    summary = "Dana booked a cut and colour for Saturday at 2:30 PM with Maria. " * 3
    CallFactory(summary=summary)

    page = _list_page(admin_client)

    shown = Truncator(summary).chars(SUMMARY_CHARS)
    assert f'<span class="vh-summary" title="{summary}">{shown}</span>' in page


def test_the_call_list_falls_back_to_vapis_summary_then_says_why_it_has_none(
    admin_client,
):
    CallFactory(vapi_summary="The caller asked about parking.")
    CallFactory(analysis_status=Call.AnalysisStatus.PENDING)

    page = _list_page(admin_client)

    assert "The caller asked about parking." in page
    assert "Pending" in page


def test_the_call_list_filters_by_intent_from_the_vocabulary(admin_client):
    booking = CallFactory(intent="book")
    CallFactory(intent="question")

    response = admin_client.get(
        reverse("admin:calls_call_changelist"), {"intent__exact": "book"}
    )

    assert list(response.context["cl"].result_list) == [booking]


@pytest.mark.parametrize("name", ["call", "toolinvocation"])
def test_the_lists_cost_the_same_queries_for_one_call_or_many(admin_client, name):
    url = reverse(f"admin:calls_{name}_changelist")
    ToolInvocationFactory(call__lead=LeadFactory(name="Dana Whitfield"))
    admin_client.get(url)  # the first page of a session reads more
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for _ in range(5):
        ToolInvocationFactory(call__lead=LeadFactory(name="Ada Lovelace"))
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)

    assert len(response.context["cl"].result_list) == 6
    assert len(many) == len(one)


def test_the_call_page_is_titled_by_the_caller_and_the_time(
    admin_client, reported_call
):
    page = _call_page(admin_client, reported_call)

    title = escape(str(reported_call))
    assert title.startswith("Dana Whitfield · ")
    assert f"<h1>{title}</h1>" in page
    assert f"<title>{title} | " in page
    assert reported_call.vapi_call_id not in page.split("<main", 1)[0]


def test_the_call_page_shows_the_cost_as_a_readable_table(admin_client, reported_call):
    Call.objects.filter(pk=reported_call.pk).update(cost_breakdown=_breakdown())

    page = _call_page(admin_client, reported_call)

    assert '<table class="vh-costs">' in page
    assert "<th>Language model</th>" in page
    assert "21,874 prompt + 386 completion tokens · openai gpt-4o" in page
    assert "$0.0586" in page
    assert "<th>Total</th>" in page
    assert "$0.1992" in page
    assert "&quot;llmPromptTokens&quot;" not in page  # no raw JSON


def test_a_call_vapi_reported_no_cost_for_says_so(admin_client, reported_call):
    assert "VAPI reported no cost for this call." in _call_page(
        admin_client, reported_call
    )
