from apps.calls.transcripts import conversation_turns
from tests.vapi.payloads import load_payload


def _report_messages():
    body = load_payload("11-end-of-call-report")
    return body["message"]["artifact"]["messages"]


def test_turns_follow_the_call_with_speakers_and_timestamps():
    turns = conversation_turns(_report_messages())
    assert turns[0].kind == "roxy"
    assert turns[0].text.startswith("Thanks for calling Maison Belle")
    assert turns[1].kind == "caller"
    assert turns[1].timestamp == "0:06"


def test_tool_calls_are_shown_with_their_arguments_and_result():
    tools = [t for t in conversation_turns(_report_messages()) if t.kind == "tool"]
    assert [t.tool_name for t in tools] == [
        "check_availability",
        "book_appointment",
        "capture_lead",
    ]
    assert "service: haircut_and_color" in tools[0].tool_arguments
    assert tools[0].text.startswith("Saturday 2025-03-15 openings")


def test_the_system_prompt_is_left_out():
    assert all(
        "You are Roxy" not in t.text for t in conversation_turns(_report_messages())
    )


def test_without_messages_the_plain_transcript_is_used():
    turns = conversation_turns([], "AI: Hello, this is Roxy.\nUser: Hi!\n(line noise)")
    assert [(t.kind, t.text) for t in turns] == [
        ("roxy", "Hello, this is Roxy."),
        ("caller", "Hi!"),
        ("note", "(line noise)"),
    ]


def test_malformed_entries_are_skipped_not_fatal():
    messages = ["junk", {"role": "tool_calls", "toolCalls": ["junk", {"id": "x"}]}]
    turns = conversation_turns(messages)
    assert len(turns) == 1
    assert turns[0].text == "(no result recorded)"
