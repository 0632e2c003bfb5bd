"""Decoding a webhook body: strict UTF-8 JSON, bounded in depth, fit for jsonb storage."""

from typing import Any

from apps.vapi.protocol import VapiPayloadError
from apps.vapi.storable_json import MAX_JSON_DEPTH, UnstorableJson
from apps.vapi.storable_json import loads as loads_storable

__all__ = ["MAX_JSON_DEPTH", "loads"]


def loads(body: bytes) -> Any:
    """Decode a request body as strict UTF-8 JSON fit for storage, or raise VapiPayloadError."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VapiPayloadError("The body is not valid UTF-8 JSON.") from exc
    try:
        return loads_storable(text, what="The body")
    except UnstorableJson as exc:
        raise VapiPayloadError(str(exc)) from exc
