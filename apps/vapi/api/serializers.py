"""The webhook's HTTP contract as OpenAPI shapes.

Only documentation: the body is parsed by apps.vapi.protocol, which must accept
VAPI's inconsistent real payloads (see docs/vapi-protocol.md) that a strict serializer
would refuse.
"""

from rest_framework import serializers


class VapiCustomerSerializer(serializers.Serializer):
    number = serializers.CharField(required=False, help_text="The caller, E.164.")


class VapiPhoneNumberSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, help_text="VAPI phone number id.")
    number = serializers.CharField(required=False, help_text="The dialled number.")


class VapiCallSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="VAPI call id: the correlation key.")
    type = serializers.CharField(required=False, help_text="e.g. inboundPhoneCall")
    status = serializers.CharField(required=False)
    phoneNumberId = serializers.CharField(required=False)
    customer = VapiCustomerSerializer(required=False)
    startedAt = serializers.DateTimeField(required=False)
    endedAt = serializers.DateTimeField(required=False)


class VapiMessageSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="assistant-request, tool-calls, function-call, "
        "transfer-destination-request, status-update, end-of-call-report, hang, "
        "conversation-update, transcript, speech-update, ... (other types are "
        "stored and acknowledged)."
    )
    timestamp = serializers.IntegerField(
        required=False, help_text="When VAPI sent it, epoch milliseconds."
    )
    call = VapiCallSerializer(required=False)
    customer = VapiCustomerSerializer(required=False)
    phoneNumber = VapiPhoneNumberSerializer(required=False)


class VapiEnvelopeSerializer(serializers.Serializer):
    message = VapiMessageSerializer()


class VapiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the request was refused.")
