"""Recording consent: the notice, the prompt, and a caller's "no" (issue #16)."""

import pytest

from apps.calls.models import Call
from apps.roxy import assistant, consent, prompts
from apps.vapi import call_records, protocol
from tests.roxy.salon import CALLER, NOW
from tests.roxy.test_tools import result
from tests.vapi.payloads import load_payload

pytestmark = pytest.mark.django_db


def build(salon) -> dict:
    profile = prompts.load_profile(salon.business, now=NOW)
    return assistant.build_assistant(profile, caller_number=CALLER, lead=None)


def names(built) -> set[str]:
    return {t["function"]["name"] for t in built["model"]["tools"] if "function" in t}


def test_no_notice_by_default(salon):
    built = build(salon)
    assert "recorded" not in built["firstMessage"]
    assert "decline_recording" not in names(built)


def test_required_consent_is_asked_after_the_greeting(salon):
    salon.business.recording_consent_required = True
    built = build(salon)
    assert built["firstMessage"].endswith(consent.default_notice())
    assert "decline_recording" in names(built)
    assert "Wait for a clear yes or no" in built["model"]["messages"][0]["content"]


def test_a_written_notice_is_spoken_without_asking(salon):
    salon.business.recording_consent_notice = "Calls are recorded for training."
    built = build(salon)
    assert built["firstMessage"].endswith("Calls are recorded for training.")
    assert "Wait for a clear yes or no" not in built["model"]["messages"][0]["content"]
    assert "decline_recording" in names(built)


def test_a_caller_who_declines_is_never_kept_on_record(salon, call):
    salon.business.recording_consent_required = True
    salon.business.save()
    said = result(salon, call, "decline_recording", {})
    assert "not be kept" in said
    call.refresh_from_db()
    assert call.recording_declined_at is not None

    report = load_payload("11-end-of-call-report")
    report["message"]["call"]["id"] = call.vapi_call_id
    call_records.update_call(protocol.parse(report))

    call.refresh_from_db()
    assert call.recording_url == "" and call.stereo_recording_url == ""
    assert call.transcript  # the conversation itself is still the business's record


def test_declining_twice_keeps_the_first_moment(salon, call):
    result(salon, call, "decline_recording", {})
    first = Call.objects.get(pk=call.pk).recording_declined_at
    result(salon, call, "decline_recording", {})
    assert Call.objects.get(pk=call.pk).recording_declined_at == first
