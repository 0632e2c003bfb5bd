import json

import httpx
import pytest

from apps.calls import analysis
from apps.calls.analysis import AnalysisError, CallAnalysis

COMPLETIONS_URL = "https://api.openai.com/v1/chat/completions"

TRANSCRIPT = (
    "AI: Thanks for calling Maison Belle Hair Studio, this is Roxy!\n"
    "User: Hi, I'm Dana Whitfield. I'm getting married in June and need hair for "
    "five bridesmaids. My email is dana at example dot com."
)

GOOD_ANALYSIS = {
    "summary": "Dana Whitfield wants bridal hair for a party of six in June.",
    "intent": "lead",
    "sentiment": "positive",
    "lead_score": 88,
    "lead_score_reason": "A June wedding party of six, ready to plan.",
    "caller_name": "Dana Whitfield",
    "caller_email": "Dana@Example.com",
    "service_of_interest": "bridal",
    "follow_up_needed": True,
    "follow_up_urgency": "normal",
    "action_items": ["Send the bridal price list", " "],
    "language": "en",
}


@pytest.fixture(autouse=True)
def openai_settings(settings):
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.OPENAI_TIMEOUT_SECONDS = 30


def completion(content=None, *, refusal=None, finish_reason="stop"):
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {
                    "role": "assistant",
                    "content": None if content is None else json.dumps(content),
                    "refusal": refusal,
                },
            }
        ],
        "usage": {
            "prompt_tokens": 812,
            "completion_tokens": 96,
            "total_tokens": 908,
            "prompt_tokens_details": {"cached_tokens": 512},
        },
    }


def answer(respx_mock, **response):
    return respx_mock.post(COMPLETIONS_URL).mock(
        return_value=httpx.Response(**response)
    )


def analyze(**kwargs):
    return analysis.analyze_transcript(
        TRANSCRIPT, business_name="Maison Belle Hair Studio", **kwargs
    )


def test_a_good_reply_parses_into_call_analysis_with_usage(respx_mock):
    answer(respx_mock, status_code=200, json=completion(GOOD_ANALYSIS))

    result = analyze()

    assert isinstance(result, CallAnalysis)
    assert result.intent == "lead"
    assert result.lead_score == 88
    assert result.caller_email == "dana@example.com"
    assert result.action_items == ["Send the bridal price list"]
    assert result.prompt_version == analysis.PROMPT_VERSION
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert result.usage == {
        "prompt_tokens": 812,
        "completion_tokens": 96,
        "total_tokens": 908,
        "cached_prompt_tokens": 512,
    }
    assert json.loads(json.dumps(result.to_dict()))["summary"] == result.summary


def test_the_request_carries_the_schema_prompt_and_transcript(respx_mock):
    route = answer(respx_mock, status_code=200, json=completion(GOOD_ANALYSIS))

    analyze(business_context="Open Tue-Sat. Bridal packages from $450.")

    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "call_analysis",
            "strict": True,
            "schema": analysis.ANALYSIS_SCHEMA,
        },
    }
    system, user = body["messages"]
    assert system["content"] == analysis.SYSTEM_PROMPT.format(
        business_name="Maison Belle Hair Studio"
    )
    assert "Bridal packages from $450." in user["content"]
    assert "five bridesmaids" in user["content"]


def test_the_sdk_never_retries_on_its_own(respx_mock):
    route = answer(respx_mock, status_code=500, json={"error": {"message": "boom"}})

    with pytest.raises(AnalysisError):
        analyze()

    assert route.call_count == 1


def test_vapi_messages_show_tools_and_skip_the_system_prompt(respx_mock):
    route = answer(respx_mock, status_code=200, json=completion(GOOD_ANALYSIS))
    messages = [
        {"role": "system", "message": "You are Roxy. SECRET PROMPT"},
        {"role": "bot", "message": "How can I help?"},
        {"role": "user", "message": "A cut on Saturday, please."},
        {
            "role": "tool_calls",
            "message": "",
            "toolCalls": [
                {"function": {"name": "book_appointment", "arguments": "{}"}}
            ],
        },
        {"role": "tool_call_result", "name": "book_appointment", "result": "Booked."},
    ]

    analyze(messages=messages)

    user = json.loads(route.calls.last.request.content)["messages"][1]["content"]
    assert "Roxy: How can I help?" in user
    assert "Caller: A cut on Saturday, please." in user
    assert "[Roxy used: book_appointment]" in user
    assert "[book_appointment answered: Booked.]" in user
    assert "SECRET PROMPT" not in user


def test_very_long_transcripts_are_cut_in_the_middle(respx_mock):
    route = answer(respx_mock, status_code=200, json=completion(GOOD_ANALYSIS))
    long_transcript = "START " + "x" * 100_000 + " END"

    analysis.analyze_transcript(long_transcript, business_name="Maison Belle")

    user = json.loads(route.calls.last.request.content)["messages"][1]["content"]
    assert "START" in user and "END" in user and "characters cut" in user
    assert len(user) < analysis.MAX_TRANSCRIPT_CHARS + 500


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_transient(respx_mock, status):
    answer(respx_mock, status_code=status, json={"error": {"message": "try later"}})

    with pytest.raises(AnalysisError) as caught:
        analyze()

    assert caught.value.permanent is False


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")]
)
def test_timeouts_and_connection_errors_are_transient(respx_mock, error):
    respx_mock.post(COMPLETIONS_URL).mock(side_effect=error)

    with pytest.raises(AnalysisError) as caught:
        analyze()

    assert caught.value.permanent is False


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_permanent(respx_mock, status):
    answer(respx_mock, status_code=status, json={"error": {"message": "bad request"}})

    with pytest.raises(AnalysisError) as caught:
        analyze()

    assert caught.value.permanent is True
    assert str(status) in str(caught.value)


def test_a_refusal_is_permanent(respx_mock):
    answer(
        respx_mock, status_code=200, json=completion(refusal="I can't help with that.")
    )

    with pytest.raises(AnalysisError, match="refused") as caught:
        analyze()

    assert caught.value.permanent is True


def test_a_truncated_reply_is_permanent(respx_mock):
    answer(
        respx_mock,
        status_code=200,
        json=completion(GOOD_ANALYSIS, finish_reason="length"),
    )

    with pytest.raises(AnalysisError) as caught:
        analyze()

    assert caught.value.permanent is True


@pytest.mark.parametrize(
    "change",
    [
        {"intent": "buy_stuff"},
        {"sentiment": "ecstatic"},
        {"lead_score": 101},
        {"lead_score": -1},
        {"lead_score": "88"},
        {"lead_score": True},
        {"follow_up_urgency": "asap"},
        {"follow_up_needed": "yes"},
        {"action_items": "call back"},
        {"language": "English"},
        {"summary": "  "},
        {"caller_name": 7},
        {"unexpected": "field"},
    ],
)
def test_a_reply_that_breaks_the_schema_is_permanent(respx_mock, change):
    answer(respx_mock, status_code=200, json=completion(GOOD_ANALYSIS | change))

    with pytest.raises(AnalysisError, match="schema") as caught:
        analyze()

    assert caught.value.permanent is True


def test_a_reply_that_is_not_json_is_permanent(respx_mock):
    body = completion(GOOD_ANALYSIS)
    body["choices"][0]["message"]["content"] = "Sure! Here is the analysis:"
    answer(respx_mock, status_code=200, json=body)

    with pytest.raises(AnalysisError) as caught:
        analyze()

    assert caught.value.permanent is True


def test_a_misheard_email_is_dropped_and_no_follow_up_means_no_urgency(respx_mock):
    reply = GOOD_ANALYSIS | {
        "caller_email": "dana at example",
        "caller_name": "",
        "follow_up_needed": False,
        "follow_up_urgency": "high",
    }
    answer(respx_mock, status_code=200, json=completion(reply))

    result = analyze()

    assert result.caller_email is None
    assert result.caller_name is None
    assert result.follow_up_urgency == "none"


def test_is_configured_follows_the_api_key(settings):
    assert analysis.is_configured()
    settings.OPENAI_API_KEY = ""
    assert not analysis.is_configured()


def test_without_a_key_nothing_is_sent(settings, respx_mock):
    settings.OPENAI_API_KEY = ""

    with pytest.raises(AnalysisError) as caught:
        analyze()

    assert caught.value.permanent is True
    assert not respx_mock.calls


def test_an_empty_transcript_is_permanent(respx_mock):
    with pytest.raises(AnalysisError) as caught:
        analysis.analyze_transcript("  ", business_name="Maison Belle", messages=[])

    assert caught.value.permanent is True
    assert not respx_mock.calls


def test_a_custom_base_url_is_used(settings, respx_mock):
    settings.OPENAI_BASE_URL = "https://llm-proxy.example.com/v1"
    route = respx_mock.post("https://llm-proxy.example.com/v1/chat/completions").mock(
        return_value=httpx.Response(200, json=completion(GOOD_ANALYSIS))
    )

    analyze()

    assert route.called


def test_the_client_uses_the_configured_timeout_and_never_retries():
    client = analysis._client()

    assert client.max_retries == 0
    assert client.timeout == 30


def test_schema_checks_and_dataclass_agree_on_the_fields():
    schema = analysis.ANALYSIS_SCHEMA
    dataclass_fields = set(CallAnalysis.__dataclass_fields__) - {
        "prompt_version",
        "model",
        "usage",
    }

    # Strict structured outputs require every property to be listed as required.
    assert set(schema["required"]) == set(schema["properties"])
    assert set(schema["required"]) == set(analysis.FIELD_CHECKS) == dataclass_fields


# --- One vocabulary for OpenAI and VAPI ---


def test_openai_and_vapi_are_asked_for_the_same_intents():
    openai_intents = analysis.ANALYSIS_SCHEMA["properties"]["intent"]["enum"]
    vapi_intent = analysis.VAPI_ANALYSIS_SCHEMA["properties"]["intent"]

    assert openai_intents == vapi_intent["enum"] == list(analysis.INTENTS)
    for name, meaning in analysis.INTENTS.items():
        explained = f"{name} = {meaning}"
        assert explained in analysis.SYSTEM_PROMPT
        assert explained in vapi_intent["description"]


def test_openai_and_vapi_are_given_the_same_test_for_urgent():
    vapi_urgent = analysis.VAPI_ANALYSIS_SCHEMA["properties"]["urgent"]

    assert f'"urgent" only for {analysis.URGENT_WHEN}' in analysis.SYSTEM_PROMPT
    assert analysis.URGENT_WHEN in vapi_urgent["description"]
    assert "urgent" in analysis.URGENT_FOLLOW_UPS
    assert set(analysis.URGENT_FOLLOW_UPS) <= set(analysis.URGENCIES)
