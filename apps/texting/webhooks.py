"""Twilio's Messaging webhooks: an incoming text, and a sent text's delivery status.

Both refuse a missing or wrong X-Twilio-Signature with 403 and store nothing. An
incoming text is answered with an empty TwiML <Response/>: replies go through the
outbox (apps.texting.inbound), so Twilio sends nothing itself.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.texting import inbound, status
from apps.texting.signature import is_from_twilio

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _refused() -> JsonResponse:
    return JsonResponse({"detail": "Invalid or missing Twilio signature."}, status=403)


@csrf_exempt
@require_POST
def incoming_message(request: HttpRequest) -> HttpResponse:
    if not is_from_twilio(request):
        return _refused()
    if not request.POST.get("MessageSid"):
        return JsonResponse({"detail": "MessageSid is required."}, status=400)
    inbound.receive(request.POST.dict())
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def message_status(request: HttpRequest) -> HttpResponse:
    if not is_from_twilio(request):
        return _refused()
    status.record(request.POST.dict())
    return HttpResponse(status=204)
