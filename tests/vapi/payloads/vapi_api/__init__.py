"""VAPI REST API responses shaped like VAPI's published OpenAPI definition, and a fake VAPI.

`call_ended.json` is the example call (../11-end-of-call-report.json) as
GET /call/{id} returns it: the report's `call` plus its artifact, analysis and costs.
`phone_number_twilio.json` is the salon's imported Twilio number, still set up for a
saved assistant on an old server URL. `openapi.json` holds the published schemas the
tests check bodies against (see README.md here for its source and how to regenerate it).
"""

import copy
import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jsonschema
import pytest
import respx

HERE = Path(__file__).parent
API_URL = "https://api.vapi.ai"
API_KEY = "vapi-private-key-for-tests"
SERVER_URL = "https://voicehive.example.com/api/v1/vapi/webhook/"
CREDENTIAL_ID = "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f"
PHONE_NUMBER_ID = "3f8e2d1c-7b6a-4c5d-8e9f-0a1b2c3d4e5f"
CALL_ID = "01959539-0aec-7c3e-9b1d-4f6a2e8c5d17"


# The schemas of VAPI's OpenAPI definition that the tests use (see spec_subset.py).
SPEC = HERE / "openapi.json"


def spec_errors(instance: Any, schema_name: str) -> list[str]:
    """Where `instance` breaks the published schema `schema_name` (none: it conforms)."""
    if schema_name not in _components()["schemas"]:
        pytest.fail(
            f"{schema_name} is not in {SPEC.name}: add it to ROOTS in "
            "spec_subset.py and regenerate the file (see README.md)."
        )
    schema = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": _components(),
    }
    errors = jsonschema.Draft7Validator(schema).iter_errors(instance)
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors]


@functools.cache
def _components() -> dict[str, Any]:
    return _relaxed(json.loads(SPEC.read_text())["components"])


def _relaxed(node: Any) -> Any:
    """The spec as JSON Schema, minus its known quirks (see ../README.md, "Validation").

    oneOf becomes anyOf (user and bot messages are otherwise ambiguous); /regex/
    slashes are stripped; `nullable` becomes a null type; enums are dropped from
    arrays (serverMessages) and the bogus `type: object` from string enums
    (BackoffPlan.type).
    """
    if isinstance(node, list):
        return [_relaxed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "oneOf":
            out["anyOf"] = _relaxed(value)
        elif (
            key == "pattern"
            and isinstance(value, str)
            and value[:1] == value[-1:] == "/"
        ):
            out[key] = value[1:-1]
        elif key != "nullable":
            out[key] = _relaxed(value)
    if "enum" in out and out.get("type") == "array":
        del out["enum"]
    if "enum" in out and out.get("type") == "object":
        del out["type"]
    if node.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def load(name: str) -> Any:
    return json.loads((HERE / f"{name}.json").read_text())


def error_body(status: int) -> dict[str, Any]:
    return load("errors")[str(status)]


def phone_number(**changes: Any) -> dict[str, Any]:
    number = load("phone_number_twilio")
    number.update(changes)
    return number


def number_pointing_at_us(**changes: Any) -> dict[str, Any]:
    """The salon's number as sync_vapi_assistant leaves it: our server, no assistant."""
    number = phone_number(
        server={"url": SERVER_URL, "credentialId": CREDENTIAL_ID, "timeoutSeconds": 20},
        fallbackDestination={"type": "number", "number": "+15125550100"},
    )
    number.pop("assistantId")
    number.update(changes)
    return number


def ended_call(
    call_id: str = CALL_ID, *, ended_at: dt.datetime | None = None, **changes: Any
) -> dict[str, Any]:
    """The example call, optionally moved so that it ended at `ended_at`."""
    call = load("call_ended")
    call["id"] = call_id
    if ended_at is not None:
        _move(call, ended_at)
    call.update(changes)
    return call


def call_in_progress(call_id: str, *, started_at: dt.datetime) -> dict[str, Any]:
    call = ended_call(call_id, ended_at=started_at + dt.timedelta(seconds=94))
    for key in ("endedAt", "endedReason", "cost", "costs", "costBreakdown", "analysis"):
        call.pop(key, None)
    call["status"] = "in-progress"
    call["artifact"] = {"messages": call["artifact"]["messages"][:2]}
    return call


def iso(moment: dt.datetime) -> str:
    return (
        moment.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _move(call: dict[str, Any], ended_at: dt.datetime) -> None:
    started_at = ended_at - dt.timedelta(seconds=94.3)
    call["createdAt"] = iso(started_at - dt.timedelta(seconds=2.565))
    call["startedAt"] = iso(started_at)
    call["endedAt"] = iso(ended_at)
    call["updatedAt"] = iso(ended_at + dt.timedelta(seconds=5.89))


class FakeVapi:
    """VAPI's phone-number and call endpoints over in-memory state, behind respx.

    GET /call honours createdAtGe/createdAtLt/phoneNumberId/limit like the real API,
    so pagination by window splitting is exercised for real.
    """

    def __init__(self, router: respx.MockRouter):
        self.phone_numbers: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.created: list[dict[str, Any]] = []
        self.call_queries: list[dict[str, str]] = []
        # Set to make every request fail this way (an outage, a revoked key).
        self.failure: httpx.Response | None = None
        self.router = router
        number = rf"{API_URL}/phone-number/(?P<id>[^/]+)$"
        router.get(url__regex=number).mock(side_effect=self._up(self._get_phone_number))
        router.patch(url__regex=number).mock(
            side_effect=self._up(self._patch_phone_number)
        )
        router.get(f"{API_URL}/phone-number").mock(
            side_effect=self._up(self._list_phone_numbers)
        )
        router.post(f"{API_URL}/phone-number").mock(
            side_effect=self._up(self._create_phone_number)
        )
        router.get(f"{API_URL}/call").mock(side_effect=self._up(self._list_calls))
        router.get(url__regex=rf"{API_URL}/call/(?P<id>[^/]+)$").mock(
            side_effect=self._up(self._get_call)
        )

    def fail(self, status: int, body: dict[str, Any] | None = None) -> None:
        self.failure = httpx.Response(status, json=body or error_body(status))

    def _up(self, handler):
        def respond(request: httpx.Request, **kwargs: Any) -> httpx.Response:
            return self.failure or handler(request, **kwargs)

        return respond

    def add_phone_number(self, number: dict[str, Any]) -> dict[str, Any]:
        self.phone_numbers[number["id"]] = number
        return number

    def add_call(self, call: dict[str, Any]) -> dict[str, Any]:
        self.calls[call["id"]] = call
        return call

    def _get_phone_number(self, request: httpx.Request, id: str) -> httpx.Response:
        if id not in self.phone_numbers:
            return httpx.Response(404, json=error_body(404))
        return httpx.Response(200, json=self.phone_numbers[id])

    def _patch_phone_number(self, request: httpx.Request, id: str) -> httpx.Response:
        if id not in self.phone_numbers:
            return httpx.Response(404, json=error_body(404))
        patch = json.loads(request.content)
        self.patches.append((id, patch))
        number = self.phone_numbers[id]
        for key, value in patch.items():
            if value is None:
                number.pop(key, None)  # VAPI leaves unset fields out of its answers
            else:
                number[key] = copy.deepcopy(value)
        return httpx.Response(200, json=number)

    def _create_phone_number(self, request: httpx.Request) -> httpx.Response:
        """A free VAPI number: VAPI picks the digits in the desired area code."""
        body = json.loads(request.content)
        n = len(self.phone_numbers) + 1
        number = {
            "id": f"00000000-0000-4000-8000-{n:012d}",
            "orgId": "8c2f1e4a-5b3d-4e6f-9a7b-1c2d3e4f5a6b",
            "status": "active",
            "number": f"+1{body['numberDesiredAreaCode']}555{n:04d}",
            "createdAt": "2025-03-14T16:00:00.000Z",
            "updatedAt": "2025-03-14T16:00:00.000Z",
            **body,
        }
        number.pop("numberDesiredAreaCode")
        self.created.append(body)
        return httpx.Response(201, json=self.add_phone_number(number))

    def _list_phone_numbers(self, request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params.get("limit", 100))
        return httpx.Response(200, json=list(self.phone_numbers.values())[:limit])

    def _list_calls(self, request: httpx.Request) -> httpx.Response:
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        self.call_queries.append(query)
        calls = sorted(self.calls.values(), key=lambda c: c["createdAt"], reverse=True)
        calls = [c for c in calls if _matches(c, query)]
        return httpx.Response(200, json=calls[: int(query.get("limit", 100))])

    def _get_call(self, request: httpx.Request, id: str) -> httpx.Response:
        if id not in self.calls:
            return httpx.Response(404, json={"message": "Not Found", "statusCode": 404})
        return httpx.Response(200, json=self.calls[id])


def _matches(call: dict[str, Any], query: dict[str, str]) -> bool:
    created = _parse(call["createdAt"])
    if "createdAtGe" in query and created < _parse(query["createdAtGe"]):
        return False
    if "createdAtLt" in query and created >= _parse(query["createdAtLt"]):
        return False
    number_id = query.get("phoneNumberId")
    return not number_id or call.get("phoneNumberId") == number_id


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def vapi_api_settings(settings):
    settings.VAPI_API_URL = API_URL
    settings.VAPI_API_KEY = API_KEY
    settings.VAPI_API_TIMEOUT_SECONDS = 5.0
    settings.VAPI_SERVER_URL = SERVER_URL
    settings.VAPI_CREDENTIAL_ID = CREDENTIAL_ID
    settings.VAPI_SERVER_TIMEOUT_SECONDS = 20
    settings.VAPI_RECONCILE_MIN_AGE_SECONDS = 300
    settings.ALLOWED_HOSTS = ["voicehive.example.com"]
    return settings


@pytest.fixture
def fake_vapi(vapi_api_settings):
    with respx.mock(assert_all_called=False) as router:
        yield FakeVapi(router)
