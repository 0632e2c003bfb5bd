"""The languages and voices a business may choose for Roxy (issue #16).

Part of apps.businesses.models (re-exported there; migrations name them by that path).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Language(models.TextChoices):
    """The languages Roxy speaks (issue #16): each has a translation catalog in
    locale/ and is in settings.LANGUAGES. Add one by adding both."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"
    FRENCH = "fr", "Français"


def supported_language(code: str) -> str:
    """`code` as one of Roxy's languages ('es-419' -> 'es'); "" if not one."""
    base = (code or "").lower().replace("_", "-").split("-")[0]
    return base if base in Language.values else ""


def default_language() -> str:
    """The deployment's language (ROXY_LANGUAGE, 'es-MX' read as 'es'), else English."""
    return supported_language(settings.ROXY_LANGUAGE) or Language.ENGLISH


def default_languages() -> list[str]:
    return [default_language()]


def validate_languages(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one language.")
    unknown = [code for code in value if code not in Language.values]
    if unknown:
        raise ValidationError(
            f"Roxy does not speak {', '.join(map(str, unknown))}; choose from "
            f"{', '.join(Language.values)}."
        )


class VoiceProvider(models.TextChoices):
    """Voice providers whose multilingual voices Roxy's assistant is tested with
    against VAPI's schema (tests/roxy/test_languages.py)."""

    ELEVENLABS = "11labs", "ElevenLabs"
    CARTESIA = "cartesia", "Cartesia"
    OPENAI = "openai", "OpenAI"
    AZURE = "azure", "Azure"
    PLAYHT = "playht", "PlayHT"
    VAPI = "vapi", "Vapi"
