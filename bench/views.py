"""The baseline, the cheapest useful DRF request this server can answer, and the
tool-call floors: the least database work a tool call owes, without its logic."""

import datetime as dt
import json

from django.db import connection, transaction
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.appointments.models import Appointment
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.leads.models import Lead


class BaselineView(APIView):
    """One indexed read (a lead by its unique business and phone) as JSON, no auth."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        lead = (
            Lead.objects.filter(
                business_id=request.query_params.get("business"),
                phone=request.query_params.get("phone", ""),
            )
            .values("id", "name", "status")
            .first()
        )
        return Response(lead or {})


class ToolCallFloorView(APIView):
    """The database work every tool call owes and nothing else: a bound, not a feature.

    Through the ORM: stores the raw message (committed on its own), finds the call
    with its business, reads the business's bookings for the coming week (the least
    any availability answer reads), then stores the tool call's outcome and the
    answer on the event. No credentials, no scheduling logic, no DRF parsing.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @classmethod
    def as_view(cls, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def post(self, request):
        message, tool_call_id = _tool_call(request.body)
        event = WebhookEvent.objects.create(
            dedupe_key=f"floor:{tool_call_id}",
            type=message["type"],
            vapi_call_id=message["call"]["id"],
            payload=message,
        )
        call = Call.objects.select_related("business").get(
            vapi_call_id=message["call"]["id"]
        )
        now = timezone.now()
        bookings = Appointment.objects.filter(
            business_id=call.business_id, start_at__lt=now + WEEK, end_at__gt=now
        ).values_list("provider_id", "start_at", "end_at")
        answer = _answer(tool_call_id, f"{len(bookings)} bookings this week.")
        ToolInvocation.objects.create(
            tool_call_id=tool_call_id,
            call=call,
            business_id=call.business_id,
            name="floor",
            arguments={},
            result=answer["results"][0]["result"],
        )
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=WebhookEvent.Status.PROCESSED,
            call=call,
            response=answer,
            processed_at=now,
        )
        return Response(answer)


class SqlToolCallFloorView(ToolCallFloorView):
    """The same work as ToolCallFloorView in four hand-written statements."""

    def post(self, request):
        message, tool_call_id = _tool_call(request.body)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO calls_webhookevent (type, dedupe_key, vapi_call_id, "
                "payload, status, error, received_at) "
                "VALUES (%s, %s, %s, %s, 'received', '', %s) RETURNING id",
                [
                    message["type"],
                    f"floor:{tool_call_id}",
                    message["call"]["id"],
                    json.dumps(message),
                    now,
                ],
            )
            (event_id,) = cursor.fetchone()
            cursor.execute(
                "SELECT id, business_id FROM calls_call WHERE vapi_call_id = %s",
                [message["call"]["id"]],
            )
            call_id, business_id = cursor.fetchone()
            cursor.execute(
                "SELECT provider_id, start_at, end_at FROM appointments_appointment "
                "WHERE business_id = %s AND start_at < %s AND end_at > %s",
                [business_id, now + WEEK, now],
            )
            answer = _answer(tool_call_id, f"{len(cursor.fetchall())} bookings.")
            cursor.execute(
                "WITH outcome AS (INSERT INTO calls_toolinvocation (tool_call_id, "
                "call_id, business_id, name, arguments, result, error, duration_ms, "
                "created_at) VALUES (%s, %s, %s, 'floor', '{}', %s, '', 0, %s)) "
                "UPDATE calls_webhookevent SET status = 'processed', call_id = %s, "
                "response = %s, processed_at = %s WHERE id = %s",
                [
                    tool_call_id, call_id, business_id,
                    answer["results"][0]["result"], now,
                    call_id, json.dumps(answer), now, event_id,
                ],
            )  # fmt: skip
        return Response(answer)


WEEK = dt.timedelta(days=7)


def _tool_call(body: bytes) -> tuple[dict, str]:
    message = json.loads(body)["message"]
    return message, message["toolCallList"][0]["id"]


def _answer(tool_call_id: str, result: str) -> dict:
    return {
        "results": [{"toolCallId": tool_call_id, "name": "floor", "result": result}]
    }
