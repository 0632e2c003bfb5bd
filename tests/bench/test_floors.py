"""The bench's floor endpoints must keep working as the schema changes (the SQL one is
hand-written), or `make bench` fails long after the change that broke it."""

import json

import pytest
from rest_framework.test import APIRequestFactory

from apps.calls.models import ToolInvocation, WebhookEvent
from bench.views import SqlToolCallFloorView, ToolCallFloorView
from tests.appointments.factories import AppointmentFactory
from tests.calls.factories import CallFactory

pytestmark = pytest.mark.django_db


def tool_call(call) -> bytes:
    message = {
        "type": "tool-calls",
        "call": {"id": call.vapi_call_id},
        "toolCallList": [{"id": "call_floor_1", "function": {"name": "x"}}],
    }
    return json.dumps({"message": message}).encode()


def post(view, body: bytes):
    request = APIRequestFactory().post("/", body, content_type="application/json")
    return view.as_view()(request)


def assert_floor_work_done(call, response):
    assert response.status_code == 200
    (result,) = response.data["results"]
    assert result["toolCallId"] == "call_floor_1"
    event = WebhookEvent.objects.get(dedupe_key="floor:call_floor_1")
    assert (event.status, event.call_id) == (WebhookEvent.Status.PROCESSED, call.pk)
    assert event.response == response.data
    invocation = ToolInvocation.objects.get(tool_call_id="call_floor_1")
    assert (invocation.call_id, invocation.result) == (call.pk, result["result"])


def test_the_orm_floor_does_a_tool_calls_database_work():
    call = CallFactory()
    AppointmentFactory(business=call.business)

    assert_floor_work_done(call, post(ToolCallFloorView, tool_call(call)))


@pytest.mark.postgres  # a CTE holding an INSERT is PostgreSQL's
def test_the_sql_floor_does_the_same_work():
    call = CallFactory()

    assert_floor_work_done(call, post(SqlToolCallFloorView, tool_call(call)))
