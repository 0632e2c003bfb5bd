import json

import pytest

from apps.vapi import json_body
from apps.vapi.protocol import VapiPayloadError


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"NaN", b'{"a": Infinity}', b'{"a": -Infinity}', b"\xff\xfe{}"],
)
def test_loads_refuses_what_is_not_strict_json(body):
    with pytest.raises(VapiPayloadError):
        json_body.loads(body)


def test_loads_refuses_bodies_nested_too_deep():
    deep = b"[" * (json_body.MAX_JSON_DEPTH + 1) + b"]" * (json_body.MAX_JSON_DEPTH + 1)
    fine = b"[" * json_body.MAX_JSON_DEPTH + b"]" * json_body.MAX_JSON_DEPTH

    with pytest.raises(VapiPayloadError, match="nests deeper"):
        json_body.loads(deep)
    assert json_body.loads(fine)


@pytest.mark.parametrize("extra", [0, 1])
def test_depth_counts_objects_and_lists_alike_beside_shallow_siblings(extra):
    levels = json_body.MAX_JSON_DEPTH + extra
    body = "1"
    for level in range(levels):
        inner = (
            f'{{"k": {body}, "s": "[[[[", "n": {{}}}}'
            if level % 2
            else f'[{body}, "]]"]'
        )
        body = inner

    if extra:
        with pytest.raises(VapiPayloadError, match="nests deeper"):
            json_body.loads(body.encode())
    else:
        assert json_body.loads(body.encode())


def test_loads_survives_nesting_beyond_the_interpreters_recursion_limit():
    with pytest.raises(VapiPayloadError, match="nests deeper"):
        json_body.loads(b"[" * 100_000 + b"]" * 100_000)


def test_loads_drops_what_postgres_cannot_store_and_keeps_the_rest():
    body = json.dumps(
        {"a\u0000b": ["nul\u0000here", "lone \ud800 surrogate", "pair \U0001f600"]}
    ).encode()

    assert json_body.loads(body) == {
        "ab": ["nulhere", "lone ? surrogate", "pair \U0001f600"]
    }


def test_loads_returns_scalars_for_parse_to_refuse():
    assert json_body.loads(b"42") == 42
