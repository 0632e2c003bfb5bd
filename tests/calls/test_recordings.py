"""Staff play a call's recording through VoiceHive, whichever way VAPI keeps it."""

import datetime as dt

import httpx
import pytest
import respx
from django.urls import reverse

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from apps.calls import recordings
from apps.calls.models import Call
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

API_URL = "https://api.vapi.ai"
API_KEY = "vapi-private-key-for-tests"
RECORDING = "https://storage.vapi.ai/0195-1741965397382-7a1c-mono.wav"
SIGNED = "https://signed.storage.example/0195-mono.wav?X-Amz-Signature=abc"
AUDIO = bytes(range(256)) * 16  # 4 KB of "audio"


@pytest.fixture
def vapi(settings):
    """VAPI's API and storage, faked at the HTTP layer."""
    settings.VAPI_API_URL = API_URL
    settings.VAPI_API_KEY = API_KEY
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def call():
    return CallFactory(recording_url=RECORDING)


@pytest.fixture(params=[Membership.Role.FRONT_DESK, Membership.Role.MANAGER])
def staff(request, client, call):
    """A client logged in as staff of the call's business, in either role."""
    user = UserFactory(is_staff=False)
    business_services.add_member(call.business, user=user, role=request.param)
    client.force_login(user)
    return client


def _audio(request: httpx.Request) -> httpx.Response:
    """Storage that honours one byte range, as S3 and GCS do."""
    headers = {"Content-Type": "audio/wav", "Accept-Ranges": "bytes"}
    asked = request.headers.get("Range")
    if not asked:
        return httpx.Response(200, content=AUDIO, headers=headers)
    first, last = (int(n) for n in asked.removeprefix("bytes=").split("-"))
    last = min(last, len(AUDIO) - 1)
    headers["Content-Range"] = f"bytes {first}-{last}/{len(AUDIO)}"
    return httpx.Response(206, content=AUDIO[first : last + 1], headers=headers)


def _play(client, call, **headers):
    return client.get(
        reverse("admin:calls_call_recording", args=[call.pk]), headers=headers
    )


def _body(response) -> bytes:
    body = b"".join(response.streaming_content)
    response.close()
    return body


def test_a_public_recording_is_streamed_to_staff_without_the_api_key(staff, call, vapi):
    storage = vapi.get(RECORDING).mock(side_effect=_audio)

    response = _play(staff, call)

    assert response.status_code == 200
    assert _body(response) == AUDIO
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Length"] == str(len(AUDIO))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == f'inline; filename="call-{call.pk}.wav"'
    assert "Authorization" not in storage.calls.last.request.headers


def test_the_connection_to_vapi_is_released_even_if_the_browser_reads_nothing(
    staff, call, vapi, mocker
):
    vapi.get(RECORDING).mock(side_effect=_audio)
    released = mocker.spy(httpx.Client, "close")

    response = _play(staff, call)
    assert released.call_count == 0  # still streaming
    response.close()  # the player went away before the first byte

    assert released.call_count == 1


def test_a_private_recording_comes_from_vapis_signed_url_got_with_the_key(
    staff, call, vapi
):
    vapi.get(RECORDING).respond(403, text="AccessDenied")
    api = vapi.get(f"{API_URL}/call/{call.vapi_call_id}/mono-recording").respond(
        302, headers={"Location": SIGNED}
    )
    signed = vapi.get(SIGNED).mock(side_effect=_audio)

    response = _play(staff, call)

    assert response.status_code == 200
    assert _body(response) == AUDIO
    assert api.calls.last.request.headers["Authorization"] == f"Bearer {API_KEY}"
    # The key goes to VAPI's API only, never to the storage host it redirects to.
    assert "Authorization" not in signed.calls.last.request.headers


def test_seeking_asks_vapi_for_the_same_range(staff, call, vapi):
    storage = vapi.get(RECORDING).mock(side_effect=_audio)

    response = _play(staff, call, Range="bytes=100-199")

    assert response.status_code == 206
    assert _body(response) == AUDIO[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert storage.calls.last.request.headers["Range"] == "bytes=100-199"


def test_a_seek_through_the_signed_url_keeps_its_range(staff, call, vapi):
    vapi.get(RECORDING).respond(401)
    api = vapi.get(f"{API_URL}/call/{call.vapi_call_id}/mono-recording").respond(
        302, headers={"Location": SIGNED}
    )
    vapi.get(SIGNED).mock(side_effect=_audio)

    response = _play(staff, call, Range="bytes=4000-4095")

    assert response.status_code == 206
    assert _body(response) == AUDIO[4000:]
    assert api.calls.last.request.headers["Range"] == "bytes=4000-4095"


def test_an_open_ended_range_is_answered_one_chunk_at_a_time(
    staff, call, vapi, monkeypatch
):
    monkeypatch.setattr(recordings, "CHUNK_BYTES", 1000)
    storage = vapi.get(RECORDING).mock(side_effect=_audio)

    response = _play(staff, call, Range="bytes=3000-")

    assert storage.calls.last.request.headers["Range"] == "bytes=3000-3999"
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 3000-3999/{len(AUDIO)}"
    assert _body(response) == AUDIO[3000:4000]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(503, text="Service Unavailable"),
    ],
    ids=["refused", "timeout", "503"],
)
def test_vapi_down_is_a_clear_error_not_a_server_error(staff, call, vapi, failure):
    route = vapi.get(RECORDING)
    if isinstance(failure, Exception):
        route.mock(side_effect=failure)
    else:
        route.mock(return_value=failure)

    response = _play(staff, call)

    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/plain")
    assert "Try again in a moment." in response.content.decode()


def test_vapi_down_while_signing_is_a_clear_error_too(staff, call, vapi):
    vapi.get(RECORDING).respond(403)
    vapi.get(f"{API_URL}/call/{call.vapi_call_id}/mono-recording").mock(
        side_effect=httpx.ConnectError("connection refused")
    )

    response = _play(staff, call)

    assert response.status_code == 502
    assert "VAPI did not answer" in response.content.decode()


def test_a_private_recording_without_an_api_key_says_what_is_missing(
    staff, call, vapi, settings
):
    settings.VAPI_API_KEY = ""
    vapi.get(RECORDING).respond(403)

    response = _play(staff, call)

    assert response.status_code == 502
    assert "VAPI_API_KEY is not set" in response.content.decode()


def test_a_recording_vapi_no_longer_has_is_not_found(staff, call, vapi):
    vapi.get(RECORDING).respond(404)

    response = _play(staff, call)

    assert response.status_code == 404
    assert "VAPI no longer has this recording." in response.content.decode()


def test_a_purged_call_has_no_recording_to_fetch(staff, call, vapi):
    storage = vapi.get(RECORDING).mock(side_effect=_audio)
    Call.objects.filter(pk=call.pk).update(
        purged_at=dt.datetime(2025, 3, 12, tzinfo=dt.UTC),
        purge_reason=Call.PurgeReason.RETENTION,
    )

    response = _play(staff, call)

    assert response.status_code == 404
    assert "This call has no recording." in response.content.decode()
    assert not storage.called


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "file:///etc/passwd"])
def test_only_a_web_url_is_ever_fetched(staff, call, vapi, url):
    Call.objects.filter(pk=call.pk).update(recording_url=url)

    response = _play(staff, call)

    assert response.status_code == 404
    assert not vapi.calls


def test_staff_of_another_business_cannot_hear_the_recording(client, call, vapi):
    storage = vapi.get(RECORDING).mock(side_effect=_audio)
    stranger = UserFactory(is_staff=False)
    business_services.add_member(
        BusinessFactory(), user=stranger, role=Membership.Role.MANAGER
    )
    client.force_login(stranger)

    response = _play(client, call)

    assert response.status_code == 404
    assert not storage.called


def test_staff_with_no_role_anywhere_cannot_hear_it(client, call, vapi):
    client.force_login(UserFactory(is_staff=True))

    assert _play(client, call).status_code == 404
    assert not vapi.calls


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client, call, vapi):
    response = _play(client, call)

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert not vapi.calls


def test_the_call_page_plays_the_recording_through_voicehive(staff, call):
    page = staff.get(reverse("admin:calls_call_change", args=[call.pk]))
    html = page.content.decode()
    src = reverse("admin:calls_call_recording", args=[call.pk])

    assert f'<audio controls preload="none" src="{src}"></audio>' in html
    assert f'<a href="{src}" download>Download</a>' in html
    assert RECORDING not in html
