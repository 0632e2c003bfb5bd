"""Roxy per business: languages, voice and persona in the assistant, and the call's
language followed from VAPI's language-change-detected to her tool answers."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from apps.businesses.models import Language, VoiceProvider
from apps.calls.models import Call
from apps.roxy import assistant, languages
from apps.vapi import call_records, protocol
from tests.calls.factories import CallFactory
from tests.roxy.salon import CALLER, tool_calls_payload
from tests.vapi.payloads import CALL_ID, load_payload
from tests.vapi.payloads.vapi_api import spec_errors
from tests.vapi.webhook import URL, bearer

pytestmark = pytest.mark.django_db

LANGUAGE_SETS = [["en"], ["es"], ["fr"], ["es", "en"], ["fr", "en"], ["en", "es", "fr"]]
PERSONAS = [
    {},
    {"assistant_name": "Lucía", "greeting": "Maison Belle, ¿dígame?"},
]


def answer(business) -> dict:
    message = protocol.parse(load_payload("01-assistant-request"))
    return assistant.answer_assistant_request(message, business=business, call=None)


def speak(salon, *spoken: str, voice: str = "", **fields):
    business = salon.business
    business.languages = list(spoken)
    business.default_language = spoken[0]
    business.voice_provider = voice
    for name, value in fields.items():
        setattr(business, name, value)
    business.save()
    return business


VOICE_SCHEMAS = {
    "11labs": "ElevenLabsVoice",
    "cartesia": "CartesiaVoice",
    "openai": "OpenAIVoice",
    "azure": "AzureVoice",
    "playht": "PlayHTVoice",
    "vapi": "VapiVoice",
}


@pytest.mark.parametrize("voice", ["", *VoiceProvider.values])
def test_each_voice_provider_gives_an_assistant_vapis_schema_accepts(
    salon, settings, voice
):
    """The whole reply, once per provider (VAPI's schema is slow to check)."""
    settings.VAPI_SERVER_URL = "https://voicehive.example.com/api/v1/vapi/webhook/"
    business = speak(salon, "es", "en", "fr", voice=voice, **PERSONAS[1])

    body = answer(business)

    assert spec_errors(body, "ServerMessageResponseAssistantRequest") == []
    roxy = body["assistant"]
    assert roxy["voice"]["provider"] == (voice or settings.ROXY_VOICE_PROVIDER)
    assert roxy["metadata"]["language"] == "es"
    assert "language-change-detected" in roxy["serverMessages"]


def test_every_language_voice_and_persona_combination_follows_vapis_schemas(
    salon, settings
):
    """Every combination: the parts that change with it (voice, transcriber,
    names and spoken texts) against their own published schemas."""
    checked = 0
    for spoken, voice, persona in itertools.product(
        LANGUAGE_SETS, ["", *VoiceProvider.values], PERSONAS
    ):
        business = speak(salon, *spoken, voice=voice, **persona)
        roxy = answer(business)["assistant"]
        provider = roxy["voice"]["provider"]
        where = (spoken, voice, persona)
        assert spec_errors(roxy["voice"], VOICE_SCHEMAS[provider]) == [], where
        assert spec_errors(roxy["transcriber"], "DeepgramTranscriber") == [], where
        assert roxy["metadata"]["language"] == spoken[0], where
        assert 0 < len(roxy["name"]) <= 40, where
        assert roxy["firstMessage"] and roxy["endCallMessage"], where
        checked += 1
    assert checked == len(LANGUAGE_SETS) * (len(VoiceProvider.values) + 1) * 2


def test_one_language_is_transcribed_as_that_language(salon):
    roxy = answer(speak(salon, "fr"))["assistant"]

    assert roxy["transcriber"]["language"] == "fr"
    assert roxy["voice"]["language"] == "fr"  # 11labs pinned to French


def test_several_languages_are_transcribed_with_detection_and_an_unpinned_voice(salon):
    roxy = answer(speak(salon, "es", "en"))["assistant"]

    assert roxy["transcriber"] == {
        "provider": "deepgram",
        "model": "nova-3",
        "language": "multi",
    }
    assert "language" not in roxy["voice"]


def test_the_prompt_says_which_languages_to_speak_and_when_to_switch(salon):
    prompt = answer(speak(salon, "es", "en", "fr"))["assistant"]["model"]["messages"]
    content = prompt[0]["content"]

    assert "Greet and start in Spanish. You also speak English and French" in content
    assert "switch as soon as they switch" in content
    # The facts are in the default language: Spanish hours and prices.
    assert "lunes de 9:00 a 17:00" in content
    assert "45 dólares" in content


def test_a_single_language_prompt_says_to_stay_in_it(salon):
    content = answer(speak(salon, "en"))["assistant"]["model"]["messages"][0]["content"]

    assert "Speak English only." in content


@pytest.mark.parametrize(
    ("spoken", "first_message", "end"),
    [
        (
            "en",
            "Thanks for calling Maison Belle Hair Studio, this is Roxy. How can I "
            "help you today?",
            "Thanks for calling Maison Belle Hair Studio. Goodbye!",
        ),
        (
            "es",
            "Gracias por llamar a Maison Belle Hair Studio, le atiende Roxy. ¿En qué "
            "puedo ayudarle?",
            "Gracias por llamar a Maison Belle Hair Studio. ¡Hasta luego!",
        ),
        (
            "fr",
            "Merci d'avoir appelé Maison Belle Hair Studio, ici Roxy. Comment puis-je "
            "vous aider ?",
            "Merci d'avoir appelé Maison Belle Hair Studio. Au revoir !",
        ),
    ],
)
def test_the_greeting_and_goodbye_are_in_the_default_language(
    salon, spoken, first_message, end
):
    roxy = answer(speak(salon, spoken))["assistant"]

    assert roxy["firstMessage"] == first_message
    assert roxy["endCallMessage"] == end


def test_a_renamed_assistant_introduces_herself_by_her_name(salon):
    roxy = answer(speak(salon, "es", assistant_name="Lucía"))["assistant"]

    assert "le atiende Lucía" in roxy["firstMessage"]
    assert roxy["name"].startswith("Lucía - ")
    assert (
        "You are Lucía, the AI phone receptionist"
        in (roxy["model"]["messages"][0]["content"])
    )


def test_the_business_greeting_replaces_the_default(salon):
    roxy = answer(speak(salon, "es", greeting="Maison Belle, ¿dígame?"))["assistant"]

    assert roxy["firstMessage"] == "Maison Belle, ¿dígame?"


def test_a_business_voice_replaces_the_deployments(salon):
    business = speak(
        salon, "es", "en", voice="cartesia", voice_id="abc-123", voice_model="sonic-2"
    )

    voice = answer(business)["assistant"]["voice"]

    assert voice == {"provider": "cartesia", "voiceId": "abc-123", "model": "sonic-2"}


def test_another_provider_without_a_voice_id_gets_its_multilingual_default(salon):
    voice = answer(speak(salon, "es", "en", voice="openai"))["assistant"]["voice"]

    assert voice == {
        "provider": "openai",
        "voiceId": "nova",
        "model": "gpt-4o-mini-tts",
    }


def test_tool_spoken_messages_are_in_the_default_language(salon):
    tools = answer(speak(salon, "fr"))["assistant"]["model"]["tools"]
    spoken = {
        tool["function"]["name"]: tool["messages"][0]["content"]
        for tool in tools
        if tool.get("messages") and tool["type"] == "function"
    }

    assert spoken["check_availability"] == "Un instant, je regarde le planning."


def test_the_default_must_be_one_of_the_languages(salon):
    business = salon.business
    business.languages = ["en"]
    business.default_language = "es"

    with pytest.raises(ValidationError, match="default must be one of"):
        business.full_clean()


def test_roxy_speaks_only_known_languages(salon):
    business = salon.business
    business.languages = ["en", "de"]

    with pytest.raises(ValidationError, match="does not speak de"):
        business.full_clean()


def test_spoken_languages_puts_the_default_first(salon):
    business = speak(salon, "en", "fr")
    business.default_language = "fr"

    assert business.spoken_languages() == ["fr", "en"]


def test_every_language_has_a_name_for_the_prompt():
    assert set(languages.LANGUAGE_NAMES) == set(Language.values)


# --- the call's language ---


def message(type_: str, **fields) -> protocol.VapiMessage:
    payload = load_payload("02-status-update-in-progress")
    body = payload["message"]
    body.pop("status", None)
    body["type"] = type_
    body["timestamp"] = body.get("timestamp", 0) + 1
    body.update(fields)
    return protocol.parse(payload)


def test_a_new_call_starts_in_the_business_default(salon):
    speak(salon, "es", "en")

    call = call_records.update_call(
        protocol.parse(load_payload("01-assistant-request"))
    )

    assert call.language == "es"


def test_language_change_detected_is_recorded_on_the_call(salon):
    CallFactory(business=salon.business, vapi_call_id=CALL_ID, language="es")

    call_records.update_call(message("language-change-detected", language="en-US"))

    assert Call.objects.get(vapi_call_id=CALL_ID).language == "en"


def test_a_language_change_through_the_webhook_is_processed_not_ignored(
    salon, client, webhook_settings
):
    speak(salon, "es", "en")
    CallFactory(business=salon.business, vapi_call_id=CALL_ID, language="es")
    payload = load_payload("02-status-update-in-progress")
    body = payload["message"]
    body.pop("status", None)
    body.update(type="language-change-detected", language="en", timestamp=1)

    response = client.post(
        URL, payload, content_type="application/json", headers=bearer()
    )

    assert response.status_code == 200
    assert Call.objects.get(vapi_call_id=CALL_ID).language == "en"


def test_tool_answers_follow_the_calls_language(salon):
    from apps.roxy import tools

    speak(salon, "es", "en")
    call = CallFactory(
        business=salon.business, vapi_call_id=CALL_ID, caller_number=CALLER
    )
    info = ("get_business_info", {"topic": "address"})

    def said(language: str) -> str:
        call.language = language
        msg = protocol.parse(tool_calls_payload(info, ids=[f"id-{language}"]))
        answer = tools.answer_tool_calls(msg, business=salon.business, call=call)
        return answer["results"][0]["result"]

    assert said("es").startswith("Teléfono") or "Dirección" in said("es")
    assert "Phone" in said("en") or "Address" in said("en")
    # A language the business doesn't speak falls back to its default.
    assert said("de") == said("es")


def test_call_language_without_a_recorded_one_is_the_default(salon):
    business = speak(salon, "fr", "en")

    assert languages.call_language(business, None) == "fr"
    assert languages.call_language(business, Call(language="en")) == "en"
    assert languages.call_language(business, Call(language="es")) == "fr"
