"""VAPI's server URL: every server message of every call is POSTed here."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import MethodNotAllowed, ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.logging import vapi_call_context
from apps.vapi import intake, json_body, protocol
from apps.vapi.api.authentication import check_declared_size, read_raw_body
from apps.vapi.api.permissions import HasVapiCredential
from apps.vapi.api.serializers import VapiEnvelopeSerializer, VapiErrorSerializer


class JsonOnly(BaseContentNegotiation):
    """VAPI gets JSON whatever its Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=VapiErrorSerializer, description=description)


WEBHOOK_SCHEMA = extend_schema(
    operation_id="vapi_webhook",
    summary="Receive a VAPI server message",
    description=(
        'VAPI POSTs every server message here as `{"message": {"type": ...}}`. '
        "Authenticate with the configured bearer token (`Authorization: Bearer`, "
        "or `X-Vapi-Secret`) or an HMAC-SHA256 signature of `{timestamp}.{body}` "
        "in `x-signature` / `x-timestamp`. Every accepted message is stored once; "
        "a redelivery gets the first answer again."
    ),
    request=VapiEnvelopeSerializer,
    responses={
        200: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description=(
                'The answer, at the top level: `{"assistant": ...}` or '
                '`{"error": ...}` for assistant-request, `{"results": [...]}` '
                'for tool-calls, `{"result": ...}` for function-call, '
                '`{"destination": ...}` for transfer-destination-request, '
                "and `{}` for every informational message."
            ),
            examples=[
                OpenApiExample(
                    "tool-calls",
                    value={
                        "results": [
                            {
                                "toolCallId": "call_4kQm8ZtR2xVbN7pLw3sYdE1c",
                                "name": "check_availability",
                                "result": "Saturday: 1:00 PM with Maria.",
                            }
                        ]
                    },
                ),
                OpenApiExample("informational", value={}),
            ],
        ),
        400: _error("Not JSON, or not a VAPI server message."),
        401: _error("Missing or wrong credentials, or none configured."),
        405: _error("Only POST is allowed."),
        413: _error("The body is over VAPI_MAX_BODY_BYTES."),
    },
)


class VapiWebhookView(APIView):
    authentication_classes = []
    permission_classes = [HasVapiCredential]
    parser_classes = [JSONParser]  # documents the media type; the body is read raw
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    http_method_names = ["post"]

    @classmethod
    def as_view(cls, **initkwargs):
        # Never inside a request-wide transaction (ATOMIC_REQUESTS): intake commits
        # each message itself, and stores a failed handler's message after its
        # rollback.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def initial(self, request, *args, **kwargs):
        # Cheap refusals first: before credentials are checked or the body is read.
        if request.method != "POST":
            raise MethodNotAllowed(request.method)
        check_declared_size(request)
        super().initial(request, *args, **kwargs)

    def get_authenticate_header(self, request):
        return 'Bearer realm="vapi"'  # makes DRF answer 401, not 403

    @WEBHOOK_SCHEMA
    def post(self, request):
        try:
            message = protocol.parse(json_body.loads(read_raw_body(request)))
        except protocol.VapiPayloadError as exc:
            raise ParseError(str(exc)) from exc
        with vapi_call_context(message.call_id):
            return Response(intake.receive_vapi_message(message))
