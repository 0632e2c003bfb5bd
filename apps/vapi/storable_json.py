"""Strict JSON text to values PostgreSQL's jsonb can store. Pure; imports no app.

Used for the webhook's body (apps.vapi.json_body) and for the JSON text inside a
tool call's `arguments` (apps.vapi.protocol), which is stored and used too.
"""

import json
import math
import re
from typing import Any

# Real payloads nest about 15 levels (JSON schemas inside tool definitions);
# the bound keeps hostile bodies from exhausting the stack later on.
MAX_JSON_DEPTH = 100
# PostgreSQL's jsonb refuses NUL characters and unpaired surrogates.
_UNSTORABLE = re.compile(r"\\u0000|\\u[dD][89a-fA-F]")
_CONTAINERS = (dict, list)


class UnstorableJson(ValueError):
    """Not strict JSON, or nested too deep; the message says which."""


def loads(text: str, *, what: str) -> Any:
    """Strict JSON text as values PostgreSQL's jsonb can store, or UnstorableJson.

    For the body and for the JSON text inside a tool call's `arguments`, which is
    stored too (ToolInvocation.arguments) and read by the tools.
    """
    too_deep = f"{what} nests deeper than {MAX_JSON_DEPTH} levels."
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except ValueError as exc:  # JSONDecodeError
        raise UnstorableJson(f"{what} is not valid UTF-8 JSON.") from exc
    except RecursionError as exc:
        raise UnstorableJson(too_deep) from exc
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise UnstorableJson(too_deep)
    if _UNSTORABLE.search(text):
        data = _storable(data)
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float | None:
    # Valid JSON, but 1e400 is no float: Python reads it as infinity, which jsonb
    # refuses, so one such number would make the whole message unstorable. VAPI
    # never sends one; the message is stored and answered with a null there.
    value = float(literal)
    return value if math.isfinite(value) else None


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
