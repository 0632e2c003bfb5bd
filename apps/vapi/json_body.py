"""Decoding a webhook body: strict UTF-8 JSON, bounded in depth, fit for jsonb storage."""

import json
import re
from typing import Any

from apps.vapi.protocol import VapiPayloadError

# Real payloads nest about 15 levels (JSON schemas inside tool definitions);
# the bound keeps hostile bodies from exhausting the stack later on.
MAX_JSON_DEPTH = 100
# PostgreSQL's jsonb refuses NUL characters and unpaired surrogates.
_UNSTORABLE = re.compile(r"\\u0000|\\u[dD][89a-fA-F]")
_CONTAINERS = (dict, list)


def loads(body: bytes) -> Any:
    """Decode a request body as strict UTF-8 JSON fit for storage, or raise VapiPayloadError."""
    too_deep = f"The body nests deeper than {MAX_JSON_DEPTH} levels."
    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise VapiPayloadError("The body is not valid UTF-8 JSON.") from exc
    except RecursionError as exc:
        raise VapiPayloadError(too_deep) from exc
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise VapiPayloadError(too_deep)
    if _UNSTORABLE.search(text):
        data = _storable(data)
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _deeper_than(data: Any, limit: int) -> bool:
    # Level by level, iteratively, so measuring a hostile body cannot itself
    # overflow the stack; after `limit` levels, any container left is too deep.
    level = [data] if isinstance(data, _CONTAINERS) else []
    for _ in range(limit):
        if not level:
            return False
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, _CONTAINERS)
        ]
    return bool(level)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value
