"""Roxy's assistant for assistant-request, and transfer destinations. (Being built: issue 3.)"""

from apps.calls.vapi import VapiMessage


def answer_assistant_request(message: VapiMessage, *, business, call) -> dict:
    """The body to answer an assistant-request with."""
    return {"error": "Sorry, this line isn't ready to take calls yet."}


def answer_transfer_destination_request(
    message: VapiMessage, *, business, call
) -> dict:
    """The body to answer a transfer-destination-request with."""
    return {"error": "Transfers are not set up for this line yet."}
