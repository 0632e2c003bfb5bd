"""Which language a call is in, and what Roxy's assistant needs for it.

A call starts in its business's default language (recorded on the Call when
Roxy answers) and follows VAPI's language-change-detected messages
(apps.vapi.call_records). Everything Roxy says from our side is produced under
`speaking(language)`, Django's translation.override, so gettext and the
locale formats in apps.roxy.speech use that language.
"""

from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.utils import translation

from apps.businesses.language_choices import default_language
from apps.businesses.models import Business, Language, VoiceProvider

# The model reads its instructions in English; these name the language to speak.
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French"}

# Deepgram's nova-2/nova-3 "multi" transcribes a caller who switches between
# these languages mid-call (Deepgram, "Multilingual Codeswitching"); VAPI then
# sends language-change-detected. One language: that language, transcribed best.
MULTILINGUAL_TRANSCRIBER_LANGUAGE = "multi"

# Per provider: a voice that speaks every Language, and the speech model it needs.
# A business's own voice_id/voice_model replace these; the deployment's
# ROXY_VOICE_* are the defaults for the deployment's provider.
VOICE_DEFAULTS: dict[str, tuple[str, str]] = {
    VoiceProvider.ELEVENLABS: ("sarah", "eleven_turbo_v2_5"),
    VoiceProvider.CARTESIA: ("bf0a246a-8642-498a-9950-80c35e9276b5", "sonic-3"),
    VoiceProvider.OPENAI: ("nova", "gpt-4o-mini-tts"),
    VoiceProvider.AZURE: ("emma", ""),
    VoiceProvider.PLAYHT: ("jennifer", "PlayDialog"),
    VoiceProvider.VAPI: ("Elliot", ""),
}
# Providers whose voice takes a `language`, in the spelling their schema wants.
_VOICE_LANGUAGE: dict[str, dict[str, str]] = {
    VoiceProvider.CARTESIA: {"en": "en", "es": "es", "fr": "fr"},
    VoiceProvider.PLAYHT: {"en": "english", "es": "spanish", "fr": "french"},
    VoiceProvider.ELEVENLABS: {"en": "en", "es": "es", "fr": "fr"},
}


def speaking(language: str) -> AbstractContextManager:
    """Say everything inside in `language` (gettext and locale formats)."""
    return translation.override(language or Language.ENGLISH)


def call_language(business: Business | None, call: Any = None) -> str:
    """The language a call is in now: the one recorded on the call if the
    business speaks it, else the business's default."""
    if business is None:
        return default_language()
    return business.language_for(getattr(call, "language", "") or "")


def language_of_call(vapi_call_id: str, business: Business | None = None) -> str:
    """The language of the call with this VAPI id, for answers given outside a tool
    run (a failed or redelivered message): its recorded one, else the default.

    Never raises: it runs when something has gone wrong already, and the answer
    matters more than its language.
    """
    from apps.calls.models import Call  # roxy sits above calls; kept local: rare

    call = None
    try:
        if vapi_call_id:
            call = (
                Call.objects.filter(vapi_call_id=vapi_call_id)
                .select_related("business")
                .first()
            )
        return call_language(business or getattr(call, "business", None), call)
    except Exception:  # noqa: BLE001 -- a broken database still gets an answer
        return default_language()


def transcriber(business: Business) -> dict[str, Any]:
    """The transcriber: the business's one language, or all of them with detection."""
    spoken = business.spoken_languages()
    # "multi" is Deepgram's; another provider is left in the default language.
    detects = settings.ROXY_TRANSCRIBER_PROVIDER == "deepgram" and len(spoken) > 1
    language = MULTILINGUAL_TRANSCRIBER_LANGUAGE if detects else spoken[0]
    return {
        "provider": settings.ROXY_TRANSCRIBER_PROVIDER,
        "model": settings.ROXY_TRANSCRIBER_MODEL,
        "language": language,
    }


def voice(business: Business) -> dict[str, str]:
    """The business's voice, the deployment's by default; pinned to the language
    only when the business speaks one (a pinned voice could not switch)."""
    provider = business.voice_provider or settings.ROXY_VOICE_PROVIDER
    if (
        business.voice_provider
        and business.voice_provider != settings.ROXY_VOICE_PROVIDER
    ):
        default_id, default_model = VOICE_DEFAULTS.get(provider, ("", ""))
    else:
        default_id, default_model = settings.ROXY_VOICE_ID, settings.ROXY_VOICE_MODEL
    spec = {"provider": provider, "voiceId": business.voice_id or default_id}
    model = business.voice_model or default_model
    if model:
        spec["model"] = model
    spoken = business.spoken_languages()
    language = _VOICE_LANGUAGE.get(provider, {}).get(spoken[0])
    if len(spoken) == 1 and language and spoken[0] != "en":
        spec["language"] = language
    return spec
