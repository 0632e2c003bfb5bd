"""Twilio's webhooks: signed with the real validator, refused otherwise, stored once."""

import pytest

from apps.notifications.models import Notification
from apps.texting.models import InboundText
from tests.roxy.salon import SALON_LINE
from tests.texting.conftest import CUSTOMER, PUBLIC_ORIGIN, sign

pytestmark = pytest.mark.django_db

PATH = "/webhooks/twilio/incoming/"
PARAMS = {
    "MessageSid": "SM" + "a" * 32,
    "From": CUSTOMER,
    "To": SALON_LINE,
    "Body": "HELP",
}


def test_unsigned_text_is_refused_and_nothing_stored(client, salon):
    response = client.post(PATH, PARAMS)

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not InboundText.objects.exists()


def test_forged_signature_is_refused(client, salon):
    forged = sign(f"{PUBLIC_ORIGIN}{PATH}", PARAMS, token="someone-elses-token")

    response = client.post(PATH, PARAMS, HTTP_X_TWILIO_SIGNATURE=forged)

    assert response.status_code == 403
    assert not InboundText.objects.exists()


def test_a_signature_for_other_parameters_is_refused(client, salon):
    signature = sign(f"{PUBLIC_ORIGIN}{PATH}", PARAMS)

    response = client.post(
        PATH,
        {**PARAMS, "Body": "cancel my appointment"},
        HTTP_X_TWILIO_SIGNATURE=signature,
    )

    assert response.status_code == 403


def test_without_an_auth_token_everything_is_refused(client, salon, settings):
    signature = sign(f"{PUBLIC_ORIGIN}{PATH}", PARAMS)
    settings.TWILIO_AUTH_TOKEN = ""

    response = client.post(PATH, PARAMS, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403


def test_get_is_not_allowed(client):
    assert client.get(PATH).status_code == 405


def test_signed_for_the_public_url_behind_a_proxy_is_accepted(client, salon):
    # Django sees http://internal:8000; Twilio signed https://voicehive.example.com.
    signature = sign(f"{PUBLIC_ORIGIN}{PATH}", PARAMS)

    response = client.post(
        PATH, PARAMS, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST="localhost:8000"
    )

    assert response.status_code == 200
    assert response.content.decode().endswith("<Response/>")
    assert InboundText.objects.get().intent == "help"


def test_signed_for_the_internal_url_is_refused_when_a_public_one_is_set(client, salon):
    signature = sign(f"http://localhost{PATH}", PARAMS)

    response = client.post(
        PATH, PARAMS, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST="localhost"
    )

    assert response.status_code == 403


def test_without_site_url_the_request_url_is_used(client, salon, settings):
    settings.SITE_URL = ""
    signature = sign(f"http://localhost{PATH}", PARAMS)

    response = client.post(
        PATH, PARAMS, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST="localhost"
    )

    assert response.status_code == 200


def test_query_string_is_part_of_the_signed_url(client, salon):
    url = f"{PUBLIC_ORIGIN}{PATH}?business=maison"
    response = client.post(
        f"{PATH}?business=maison", PARAMS, HTTP_X_TWILIO_SIGNATURE=sign(url, PARAMS)
    )

    assert response.status_code == 200


def test_a_duplicate_delivery_changes_nothing(text_in, salon):
    text_in("HELP", sid="SM" + "b" * 32)
    replies = Notification.objects.filter(recipient=CUSTOMER).count()

    assert text_in("HELP", sid="SM" + "b" * 32).status_code == 200

    assert InboundText.objects.count() == 1
    assert Notification.objects.filter(recipient=CUSTOMER).count() == replies


def test_an_unknown_number_texted_is_stored_for_operators(text_in, salon):
    assert (
        text_in("hello?", to="+15125550999", sender="+15125550111").status_code == 200
    )

    inbound = InboundText.objects.get()
    assert inbound.business is None
    assert "No business" in inbound.outcome


def test_a_text_to_the_shared_sender_goes_to_the_business_that_texted_them(
    text_in, salon, customer, settings
):
    settings.TWILIO_FROM_NUMBER = "+15125550100"
    text_in("HELP")  # a first text to the salon's own line, answered by the salon

    text_in("HELP", to="+15125550100")

    assert InboundText.objects.filter(business=salon.business).count() == 2


def test_a_text_that_cannot_be_acted_on_is_kept_for_a_person(text_in, salon, mocker):
    mocker.patch("apps.texting.flow.act", side_effect=RuntimeError("boom"))

    assert text_in("HELP").status_code == 200

    inbound = InboundText.objects.get()
    assert inbound.handled_at is None
    assert "a person should read it" in inbound.outcome
