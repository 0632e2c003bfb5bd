import datetime as dt

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from apps.calls import analysis, post_call
from apps.calls.models import Call
from apps.leads.models import Lead
from apps.notifications.models import Notification
from tests.appointments.factories import ServiceFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.calls.test_analysis import COMPLETIONS_URL, GOOD_ANALYSIS, completion
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

# VAPI's analysis in the shape Roxy asks for (analysis.VAPI_ANALYSIS_SCHEMA).
VAPI_DATA = {
    "caller_name": "Dana Whitfield",
    "intent": "lead",
    "service": "Bridal party styling",
    "appointment_booked": False,
    "lead_captured": True,
    "callback_requested": False,
    "urgent": False,
}


@pytest.fixture(autouse=True)
def post_call_settings(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.ANALYSIS_SWEEP_GRACE_SECONDS = 180
    settings.LEAD_QUALIFIED_SCORE = 70
    settings.MISSED_CALL_MAX_SECONDS = 20
    settings.POST_CALL_ALERT_MAX_AGE_HOURS = 24
    settings.SITE_URL = ""
    return settings


@pytest.fixture
def business():
    return BusinessFactory(
        name="Maison Belle Hair Studio",
        notification_emails="frontdesk@example.com",
        notification_phones="+15125550111",
    )


@pytest.fixture
def lead(business):
    return LeadFactory(business=business, name="", email="", phone="+15125550187")


@pytest.fixture
def call(business, lead):
    return pending_call(business=business, lead=lead)


def pending_call(**fields) -> Call:
    defaults = {
        "analysis_status": Call.AnalysisStatus.PENDING,
        "analysis_requested_at": timezone.now() - dt.timedelta(seconds=5),
    }
    return CallFactory(**(defaults | fields))


def reply(respx_mock, content=None, **response):
    route = respx_mock.post(COMPLETIONS_URL)
    if content is not None:
        return route.mock(return_value=httpx.Response(200, json=completion(content)))
    return route.mock(return_value=httpx.Response(**response))


def good(**changes) -> dict:
    return {**GOOD_ANALYSIS, **changes}


def alerts(call=None, kind=None) -> list[tuple[str, str, str]]:
    rows = Notification.objects.order_by("kind", "channel")
    if call is not None:
        rows = rows.filter(call=call)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "channel", "recipient"))


# --- A completed analysis ---


def test_a_good_analysis_is_saved_with_usage_and_prompt_version(respx_mock, call):
    reply(respx_mock, good())

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.COMPLETED
    assert call.summary == GOOD_ANALYSIS["summary"]
    assert (call.intent, call.sentiment, call.lead_score) == (
        "lead",
        "positive",
        88,
    )
    assert call.analysis["action_items"] == ["Send the bridal price list"]
    assert call.analysis_usage == {
        "prompt_tokens": 812,
        "completion_tokens": 96,
        "total_tokens": 908,
        "cached_prompt_tokens": 512,
        "model": "gpt-4o-mini-2024-07-18",
    }
    assert call.prompt_version == analysis.PROMPT_VERSION
    assert call.analyzed_at is not None
    assert call.analysis_error == ""


def test_the_request_tells_the_model_about_the_business(respx_mock, call, business):
    ServiceFactory(business=business, name="bridal")
    business.extra_instructions = "Camille coordinates bridal styling."
    business.save()
    route = reply(respx_mock, good())

    post_call.analyze_call(call)

    body = route.calls.last.request.content.decode()
    assert "Maison Belle Hair Studio" in body
    assert "Services: bridal." in body
    assert "Camille coordinates bridal styling." in body


@pytest.mark.django_db(transaction=True)  # no test transaction around it
def test_openai_is_called_outside_any_transaction(respx_mock, call):
    seen = []

    def record(request):
        seen.append(connection.in_atomic_block)
        return httpx.Response(200, json=completion(good()))

    respx_mock.post(COMPLETIONS_URL).mock(side_effect=record)
    post_call.analyze_call(call)

    assert seen == [False]


def test_the_lead_gets_the_missing_name_interest_and_the_score(respx_mock, call, lead):
    reply(respx_mock, good())

    post_call.analyze_call(call)

    lead.refresh_from_db()
    assert lead.name == "Dana Whitfield"
    # Only the model heard the address: a suggestion for staff, not a destination.
    assert (lead.email, lead.suggested_email) == ("", "dana@example.com")
    assert lead.interest == "bridal"
    assert lead.score == 88
    assert lead.score_reason == "A June wedding party of six, ready to plan."


def test_staff_edits_to_name_and_email_are_kept(respx_mock, call, lead):
    Lead.objects.filter(pk=lead.pk).update(name="Dana W.", email="dana@work.example")
    reply(respx_mock, good())

    post_call.analyze_call(call)

    lead.refresh_from_db()
    assert (lead.name, lead.email) == ("Dana W.", "dana@work.example")
    assert lead.suggested_email == "dana@example.com"
    assert lead.score == 88


@pytest.mark.parametrize(
    ("status", "score", "expected"),
    [
        (Lead.Status.NEW, 70, Lead.Status.QUALIFIED),
        (Lead.Status.NEW, 69, Lead.Status.NEW),
        (Lead.Status.BOOKED, 95, Lead.Status.BOOKED),
        (Lead.Status.LOST, 95, Lead.Status.LOST),
    ],
)
def test_only_a_new_lead_scoring_high_enough_is_qualified(
    respx_mock, call, lead, status, score, expected
):
    Lead.objects.filter(pk=lead.pk).update(status=status)
    reply(respx_mock, good(lead_score=score))

    post_call.analyze_call(call)

    lead.refresh_from_db()
    assert lead.status == expected


# --- Staff alerts ---


def test_the_first_call_of_a_new_lead_alerts_staff_by_email_and_sms(
    respx_mock, call, settings
):
    settings.SITE_URL = "https://app.voicehive.example/"
    reply(respx_mock, good())

    post_call.analyze_call(call)

    assert alerts(call) == [
        ("new_lead", "email", "frontdesk@example.com"),
        ("new_lead", "sms", "+15125550111"),
    ]
    email = Notification.objects.get(call=call, channel="email")
    assert email.subject == "New lead: Dana Whitfield (bridal)"
    assert "Lead score: 88/100" in email.body
    assert "- Send the bridal price list" in email.body
    assert f"https://app.voicehive.example/admin/calls/call/{call.pk}/" in email.body
    assert email.dedupe_key == f"new_lead:call:{call.pk}:email:frontdesk@example.com"
    assert email.status == Notification.Status.QUEUED


def test_a_returning_caller_is_no_new_lead(respx_mock, business, lead):
    CallFactory(business=business, lead=lead)
    call = pending_call(business=business, lead=lead)
    reply(respx_mock, good())

    post_call.analyze_call(call)

    assert alerts(call) == []


def test_a_lead_staff_entered_is_no_new_lead(respx_mock, call, lead):
    Lead.objects.filter(pk=lead.pk).update(source=Lead.Source.MANUAL)
    reply(respx_mock, good())

    post_call.analyze_call(call)

    assert alerts(call) == []


@pytest.mark.parametrize("urgency", ["high", "urgent"])
def test_an_urgent_follow_up_alerts_staff(respx_mock, call, urgency):
    reply(respx_mock, good(follow_up_urgency=urgency))

    post_call.analyze_call(call)

    assert alerts(call, kind="urgent_follow_up") == [
        ("urgent_follow_up", "email", "frontdesk@example.com"),
        ("urgent_follow_up", "sms", "+15125550111"),
    ]
    sms = Notification.objects.get(kind="urgent_follow_up", channel="sms")
    assert sms.body.startswith("Maison Belle Hair Studio: URGENT follow-up with Dana")


def test_a_normal_follow_up_is_no_urgent_alert(respx_mock, call):
    reply(respx_mock, good(follow_up_urgency="normal"))

    post_call.analyze_call(call)

    assert alerts(call, kind="urgent_follow_up") == []


def test_spam_raises_no_alerts(respx_mock, call):
    reply(respx_mock, good(intent="spam", lead_score=0, follow_up_urgency="urgent"))

    post_call.analyze_call(call)

    assert alerts() == []


def test_a_missed_call_alerts_staff_instead_of_a_new_lead(respx_mock, business, lead):
    call = pending_call(
        business=business,
        lead=lead,
        duration_seconds=8,
        transcript="AI: Thanks for calling, this is Roxy.\nUser: Hello?",
    )
    reply(respx_mock, good(intent="other", lead_score=10))

    post_call.analyze_call(call)

    assert alerts(call) == [
        ("missed_call", "email", "frontdesk@example.com"),
        ("missed_call", "sms", "+15125550111"),
    ]
    email = Notification.objects.get(kind="missed_call", channel="email")
    assert "What happened: the caller hung up" in email.body


def test_alerts_about_old_calls_are_not_sent(respx_mock, business, lead):
    ended = timezone.now() - dt.timedelta(hours=25)
    call = pending_call(business=business, lead=lead, started_at=ended, ended_at=ended)
    reply(respx_mock, good(follow_up_urgency="urgent"))

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.COMPLETED
    assert alerts() == []


# --- Failures ---


@pytest.mark.parametrize(
    "failure",
    [
        {"side_effect": httpx.ConnectTimeout("timed out")},
        {"return_value": httpx.Response(429, json={"error": {"message": "slow"}})},
        {"return_value": httpx.Response(500, json={"error": {"message": "oops"}})},
        {"return_value": httpx.Response(503, json={"error": {"message": "busy"}})},
    ],
    ids=["timeout", "429", "500", "503"],
)
def test_transient_errors_leave_the_call_pending_with_a_retry_time(
    respx_mock, call, failure
):
    respx_mock.post(COMPLETIONS_URL).mock(**failure)

    post_call.analyze_call(call)  # never raises: the row holds the retry

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert call.analysis_error.startswith("Will retry at ")
    assert call.analysis_attempts == 1
    assert call.analysis_retry_at > timezone.now()
    assert alerts() == []


def test_a_transient_error_past_the_retry_window_fails_the_call(
    respx_mock, call, settings
):
    settings.ANALYSIS_RETRY_FOR_HOURS = 48
    Call.objects.filter(pk=call.pk).update(
        analysis_attempts=30,
        analysis_failing_since=timezone.now() - dt.timedelta(hours=49),
    )
    reply(respx_mock, status_code=503, json={"error": {"message": "busy"}})

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED
    assert call.analysis_error.startswith("Gave up after 31 attempt(s) since ")
    assert "OpenAI HTTP 503" in call.analysis_error


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(400, json={"error": {"message": "bad"}}), "OpenAI HTTP 400"),
        (
            httpx.Response(
                200, json=completion(None, refusal="I can't help with that.")
            ),
            "Model refused",
        ),
        (
            httpx.Response(200, json=completion({"summary": "only this"})),
            "does not match the schema",
        ),
    ],
    ids=["400", "refusal", "schema"],
)
def test_permanent_errors_fail_the_call_without_raising(
    respx_mock, call, response, error
):
    respx_mock.post(COMPLETIONS_URL).mock(return_value=response)

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.FAILED
    assert error in call.analysis_error
    assert call.summary == "" and call.analyzed_at is None


def test_a_failed_analysis_still_announces_a_new_lead(respx_mock, call):
    reply(respx_mock, status_code=400, json={"error": {"message": "bad"}})

    post_call.analyze_call(call)

    assert [kind for kind, *_ in alerts(call)] == ["new_lead", "new_lead"]


# --- Without an OpenAI key ---


def vapi_analysed(call, summary="", **data) -> Call:
    Call.objects.filter(pk=call.pk).update(
        vapi_summary=summary, vapi_structured_data=data
    )
    post_call.analyze_call(call)
    call.refresh_from_db()
    return call


def test_without_a_key_vapi_analysis_is_used(settings, respx_mock, call, lead):
    settings.OPENAI_API_KEY = ""

    call = vapi_analysed(call, "Dana asked about bridal party styling.", **VAPI_DATA)

    assert call.analysis_status == Call.AnalysisStatus.COMPLETED
    assert call.prompt_version == post_call.VAPI_PROMPT_VERSION == "vapi"
    assert call.summary == "Dana asked about bridal party styling."
    assert call.intent == "lead"
    assert call.lead_score is None and call.sentiment == ""
    assert call.analysis["source"] == "vapi"
    assert call.analysis["follow_up_urgency"] == "normal"
    lead.refresh_from_db()
    assert (lead.name, lead.interest) == ("Dana Whitfield", "Bridal party styling")
    assert lead.score is None and lead.status == Lead.Status.NEW
    assert [kind for kind, *_ in alerts(call)] == ["new_lead", "new_lead"]
    assert not respx_mock.calls


@pytest.mark.parametrize("intent", list(analysis.INTENTS))
def test_every_intent_vapi_is_offered_is_kept(settings, call, intent):
    settings.OPENAI_API_KEY = ""

    assert vapi_analysed(call, intent=intent).intent == intent


def test_an_intent_outside_the_vocabulary_is_dropped(settings, call):
    settings.OPENAI_API_KEY = ""

    assert vapi_analysed(call, "A chat.", intent="sales_lead").intent == ""


@pytest.mark.parametrize(
    ("flags", "urgency"),
    [
        ({"urgent": True}, "urgent"),
        ({"urgent": True, "appointment_booked": True}, "urgent"),
        ({"urgent": False, "callback_requested": True}, "normal"),
        ({"lead_captured": True}, "normal"),
        ({"urgent": False, "appointment_booked": True}, "none"),
        ({"urgent": "yes"}, "none"),  # not the boolean the schema asks for
    ],
)
def test_vapis_urgent_flag_is_read_as_an_urgency(settings, call, flags, urgency):
    settings.OPENAI_API_KEY = ""

    call = vapi_analysed(call, intent="message", **flags)

    assert call.analysis["follow_up_urgency"] == urgency
    urgent_alerts = alerts(call, kind="urgent_follow_up")
    assert len(urgent_alerts) == (2 if urgency == "urgent" else 0)


def test_spam_by_vapis_word_raises_no_alerts(settings, call):
    settings.OPENAI_API_KEY = ""

    vapi_analysed(call, intent="spam", urgent=True)

    assert alerts() == []


def test_without_a_key_or_vapi_analysis_the_call_is_skipped(settings, respx_mock, call):
    settings.OPENAI_API_KEY = ""

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.SKIPPED
    assert call.analysis_error == (
        "OPENAI_API_KEY is not set and VAPI sent no analysis."
    )
    assert call.summary == "" and call.lead_score is None
    assert not respx_mock.calls
    assert [kind for kind, *_ in alerts(call)] == ["new_lead", "new_lead"]


def test_a_call_where_the_caller_said_nothing_is_skipped(respx_mock, business):
    call = pending_call(business=business, transcript="AI: Hello? Anyone there?")

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.SKIPPED
    assert call.analysis_error == "The caller said nothing."
    assert not respx_mock.calls


# --- Once only ---


def test_analysing_twice_has_its_effects_once(respx_mock, call):
    route = reply(respx_mock, good(follow_up_urgency="urgent"))

    post_call.analyze_call(call)
    post_call.analyze_call(call)

    assert route.call_count == 1
    assert len(alerts()) == 4  # new lead and urgent, by email and SMS


@pytest.mark.parametrize(
    "status",
    [
        Call.AnalysisStatus.COMPLETED,
        Call.AnalysisStatus.SKIPPED,
        Call.AnalysisStatus.FAILED,
        Call.AnalysisStatus.NOT_STARTED,
    ],
)
def test_a_call_not_waiting_for_analysis_is_left_alone(respx_mock, call, status):
    Call.objects.filter(pk=call.pk).update(analysis_status=status)

    returned = post_call.analyze_call(call)

    assert returned.analysis_status == status
    assert not respx_mock.calls


def test_a_result_is_dropped_when_a_later_request_took_the_call(respx_mock, call):
    def rerun_requested_meanwhile(request):
        post_call.request_reanalysis(Call.objects.filter(pk=call.pk))
        return httpx.Response(200, json=completion(good()))

    respx_mock.post(COMPLETIONS_URL).mock(side_effect=rerun_requested_meanwhile)

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    assert call.summary == ""
    assert alerts() == []


def test_a_duplicate_task_finding_the_call_claimed_leaves_the_result_to_it(
    respx_mock, call
):
    duplicate = Call.objects.get(pk=call.pk)
    requests = []

    def duplicate_runs_meanwhile(request):
        requests.append(request)
        if len(requests) == 1:  # the duplicate claims the call while we wait
            post_call.analyze_call(duplicate)
            return httpx.Response(200, json=completion(good()))
        return httpx.Response(200, json=completion(good(lead_score=40)))

    respx_mock.post(COMPLETIONS_URL).mock(side_effect=duplicate_runs_meanwhile)

    post_call.analyze_call(call)

    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.COMPLETED
    assert call.lead_score == 40  # the duplicate's, written once
    assert len(alerts()) == 2


# --- Enqueueing and the sweep ---


def test_enqueue_rings_the_task(mocker):
    delay = mocker.patch("apps.calls.tasks.analyze_call.delay")

    assert post_call.enqueue_analysis(42) is True

    delay.assert_called_once_with(42)


def test_enqueue_swallows_broker_errors(mocker, caplog):
    mocker.patch(
        "apps.calls.tasks.analyze_call.apply_async",
        side_effect=ConnectionRefusedError("broker down"),
    )

    assert post_call.enqueue_analysis(42) is False
    assert "Could not enqueue analysis of call 42" in caplog.text


def test_request_reanalysis_marks_ended_calls_pending_and_enqueues_on_commit(
    mocker, django_capture_on_commit_callbacks
):
    enqueue = mocker.patch.object(post_call, "enqueue_analysis")
    done = CallFactory(
        analysis_status=Call.AnalysisStatus.FAILED, analysis_error="Model refused"
    )
    ongoing = CallFactory(status=Call.Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        count = post_call.request_reanalysis(Call.objects.all())

    assert count == 1
    done.refresh_from_db()
    assert done.analysis_status == Call.AnalysisStatus.PENDING
    assert done.analysis_error == ""
    assert done.analysis_requested_at is not None
    enqueue.assert_called_once_with(done.pk)
    ongoing.refresh_from_db()
    assert ongoing.analysis_status == Call.AnalysisStatus.NOT_STARTED


def test_request_reanalysis_can_skip_calls_on_the_current_prompt(mocker):
    mocker.patch.object(post_call, "enqueue_analysis")
    current = CallFactory(
        analysis_status=Call.AnalysisStatus.COMPLETED,
        prompt_version=analysis.PROMPT_VERSION,
    )
    outdated = CallFactory(
        analysis_status=Call.AnalysisStatus.COMPLETED, prompt_version="2025-01-01.1"
    )
    vapi_only = CallFactory(
        analysis_status=Call.AnalysisStatus.COMPLETED, prompt_version="vapi"
    )

    count = post_call.request_reanalysis(
        Call.objects.all(), prompt_version=analysis.PROMPT_VERSION
    )

    assert count == 2
    statuses = dict(Call.objects.values_list("pk", "analysis_status"))
    assert statuses == {
        current.pk: Call.AnalysisStatus.COMPLETED,
        outdated.pk: Call.AnalysisStatus.PENDING,
        vapi_only.pk: Call.AnalysisStatus.PENDING,
    }


def test_the_sweep_rings_calls_pending_past_the_grace_period(mocker):
    enqueue = mocker.patch.object(post_call, "enqueue_analysis", return_value=True)
    now = timezone.now()
    stale = pending_call(analysis_requested_at=now - dt.timedelta(seconds=181))
    never_stamped = pending_call(analysis_requested_at=None)
    pending_call(analysis_requested_at=now - dt.timedelta(seconds=60))
    CallFactory(
        analysis_status=Call.AnalysisStatus.COMPLETED,
        analysis_requested_at=now - dt.timedelta(hours=1),
    )

    assert post_call.sweep_pending_analyses(now=now) == 2

    assert sorted(c.args[0] for c in enqueue.call_args_list) == sorted(
        [stale.pk, never_stamped.pk]
    )
    stale.refresh_from_db()
    assert stale.analysis_requested_at == now  # a new grace period


def test_the_sweep_rings_each_call_once_per_grace_period(mocker):
    enqueue = mocker.patch.object(post_call, "enqueue_analysis", return_value=True)
    now = timezone.now()
    pending_call(analysis_requested_at=now - dt.timedelta(minutes=10))

    post_call.sweep_pending_analyses(now=now)
    post_call.sweep_pending_analyses(now=now + dt.timedelta(minutes=1))
    post_call.sweep_pending_analyses(now=now + dt.timedelta(minutes=4))

    assert enqueue.call_count == 2


def test_the_sweep_stops_at_the_first_failed_enqueue(mocker):
    enqueue = mocker.patch.object(post_call, "enqueue_analysis", return_value=False)
    old = timezone.now() - dt.timedelta(hours=1)
    first = pending_call(analysis_requested_at=old)
    pending_call(analysis_requested_at=old + dt.timedelta(seconds=1))

    assert post_call.sweep_pending_analyses() == 0

    enqueue.assert_called_once_with(first.pk)
    first.refresh_from_db()
    assert first.analysis_requested_at == old  # rung again by the next sweep
