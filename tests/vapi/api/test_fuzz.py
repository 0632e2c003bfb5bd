"""Property-based fuzzing: whatever VAPI (or anyone holding the secret) sends, never a 500."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.calls.models import WebhookEvent
from apps.vapi import protocol
from tests.vapi.payloads import NAMES, load_payload
from tests.vapi.webhook import URL, as_bytes, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MESSAGE_TYPES = [
    protocol.ASSISTANT_REQUEST,
    protocol.TOOL_CALLS,
    protocol.FUNCTION_CALL,
    protocol.TRANSFER_DESTINATION_REQUEST,
    protocol.STATUS_UPDATE,
    protocol.END_OF_CALL_REPORT,
    protocol.HANG,
    protocol.CONVERSATION_UPDATE,
    protocol.TRANSCRIPT,
    'transcript[transcriptType="final"]',
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
envelopes = st.fixed_dictionaries(
    {
        "message": st.fixed_dictionaries(
            {"type": st.sampled_from(MESSAGE_TYPES) | st.text(max_size=70)},
            optional={
                "timestamp": st.integers() | json_values,
                "call": st.fixed_dictionaries(
                    {"id": st.text(max_size=70) | json_values},
                    optional={"customer": json_values, "startedAt": json_values},
                )
                | json_values,
                "status": st.sampled_from(["ended", "in-progress"]) | json_values,
                "toolCallList": json_values,
                "artifact": json_values,
                "analysis": json_values,
                "cost": json_values,
                "phoneNumber": json_values,
                "customer": json_values,
            },
        )
    }
)


def paths(value, prefix=(), depth=5):
    """Every place in a payload a mutation can hit, down to `depth` levels."""
    yield prefix
    if depth == 0:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key), depth - 1)
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            yield from paths(child, (*prefix, index), depth - 1)


EXAMPLES = {name: load_payload(name) for name in NAMES}
PATHS = {
    name: list(paths(raw["message"], ("message",))) for name, raw in EXAMPLES.items()
}


def mutate(raw, path, value, delete: bool):
    parent = raw
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


@pytest.fixture
def deliver(client, salon):

    def _deliver(body: bytes):
        events = WebhookEvent.objects.count()
        response = client.post(
            URL, body, content_type="application/json", headers=bearer()
        )
        assert response.status_code in (200, 400), response.content
        assert isinstance(response.json(), dict)
        if response.status_code == 400:
            assert WebhookEvent.objects.count() == events
        return response

    return _deliver


@FUZZ
@given(body=st.binary(max_size=300) | json_values.map(as_bytes))
def test_random_bodies_never_cause_a_server_error(deliver, body):
    deliver(body)


@FUZZ
@given(raw=envelopes)
def test_random_envelopes_never_cause_a_server_error(deliver, raw):
    deliver(as_bytes(raw))


@FUZZ
@given(data=st.data())
def test_mutated_example_payloads_never_cause_a_server_error(deliver, data):
    name = data.draw(st.sampled_from(NAMES), label="example")
    raw = copy.deepcopy(EXAMPLES[name])
    # A fresh call each time, so that handlers run instead of answering redeliveries.
    raw["message"]["call"]["id"] = str(data.draw(st.uuids(), label="call id"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(PATHS[name]), label="path")
        if len(path) < 2:
            continue  # replacing the whole message is the envelope test's job
        try:
            mutate(
                raw,
                path,
                data.draw(json_values, label="value"),
                data.draw(st.booleans()),
            )
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    response = deliver(json.dumps(raw).encode())
    if (
        response.status_code == 200
        and raw["message"].get("type") == protocol.TOOL_CALLS
    ):
        assert "results" in response.json()
