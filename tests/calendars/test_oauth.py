"""The OAuth flows: who may start them, the signed session-bound state, the callback."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core import signing

from apps.businesses.models import Membership
from apps.calendars import oauth
from apps.calendars.models import CalendarConnection, ConnectedCalendar
from tests.appointments.factories import ProviderFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOGLE_API = "https://www.googleapis.com/calendar/v3"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
MS_TOKEN = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
GRAPH = "https://graph.microsoft.com/v1.0"
GOOGLE_GRANT = {
    "access_token": "ya29.secret-access",
    "refresh_token": "1//secret-refresh",
    "expires_in": 3599,
    "scope": " ".join(oauth.GOOGLE_SCOPES),
    "token_type": "Bearer",
}


@pytest.fixture(autouse=True)
def oauth_apps(settings):
    settings.SITE_URL = "https://voicehive.example"
    settings.GOOGLE_OAUTH_CLIENT_ID = "google-client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "google-secret"
    settings.MICROSOFT_CLIENT_ID = "ms-client"
    settings.MICROSOFT_CLIENT_SECRET = "ms-secret"
    settings.MICROSOFT_TENANT = "common"


@pytest.fixture
def rung(mocker):
    return mocker.patch("apps.calendars.tasks.sync_calendar_connection.delay")


@pytest.fixture
def provider():
    return ProviderFactory()


def staff(business, role=Membership.Role.MANAGER):
    user = UserFactory()
    MembershipFactory(user=user, business=business, role=role)
    return user


def start(client, user, kind="google", **query):
    client.force_login(user)
    return client.get(f"/calendars/oauth/{kind}/start/", query)


def state_of(response) -> str:
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def google_account(respx_mock, email="stylist@example.com"):
    respx_mock.post(GOOGLE_TOKEN).respond(json=GOOGLE_GRANT)
    respx_mock.get(f"{GOOGLE_API}/calendars/primary").respond(json={"id": email})
    respx_mock.get(f"{GOOGLE_API}/users/me/calendarList").respond(
        json={
            "items": [
                {"id": email, "summary": email, "primary": True, "accessRole": "owner"},
                {
                    "id": "en.usa#holiday@group.v.calendar.google.com",
                    "summary": "Holidays",
                    "accessRole": "reader",
                },
            ]
        }
    )


# --- starting ---


def test_a_manager_starts_google_with_offline_access_consent_and_pkce(client, provider):
    response = start(
        client,
        staff(provider.business),
        business=provider.business.pk,
        provider=provider.pk,
    )

    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.netloc == "accounts.google.com"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["response_type"] == "code" and query["client_id"] == "google-client"
    assert (
        query["redirect_uri"]
        == "https://voicehive.example/calendars/oauth/google/callback/"
    )
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert set(oauth.GOOGLE_SCOPES) <= set(query["scope"].split())
    claims = signing.loads(query["state"], salt=oauth.STATE_SALT)
    assert (claims["b"], claims["p"]) == (provider.business.pk, provider.pk)
    assert claims["n"] in client.session[oauth.SESSION_KEY]


def test_microsoft_start_asks_for_offline_access(client, provider):
    response = start(
        client, staff(provider.business), "microsoft", business=provider.business.pk
    )

    url = urlsplit(response["Location"])
    assert url.netloc == "login.microsoftonline.com"
    assert url.path == "/common/oauth2/v2.0/authorize"
    scope = parse_qs(url.query)["scope"][0].split()
    assert {"offline_access", "Calendars.ReadWrite"} <= set(scope)


def test_the_providers_own_user_may_start_it_with_a_front_desk_role(client, provider):
    user = staff(provider.business, Membership.Role.FRONT_DESK)
    provider.user = user
    provider.save()

    response = start(client, user, business=provider.business.pk, provider=provider.pk)

    assert response.status_code == 302 and "accounts.google.com" in response["Location"]


def test_front_desk_may_not_connect_someone_elses_or_the_shared_calendar(
    client, provider
):
    user = staff(provider.business, Membership.Role.FRONT_DESK)

    assert (
        start(
            client, user, business=provider.business.pk, provider=provider.pk
        ).status_code
        == 403
    )
    assert start(client, user, business=provider.business.pk).status_code == 403


def test_another_business_provider_or_connection_is_404(client, provider):
    other = ProviderFactory()
    theirs = CalendarConnection.objects.create(
        business=other.business, provider=other, kind="google"
    )
    user = staff(provider.business)

    assert (
        start(
            client, user, business=provider.business.pk, provider=other.pk
        ).status_code
        == 404
    )
    assert (
        start(client, user, business=other.business.pk, provider=other.pk).status_code
        == 404
    )
    assert (
        start(
            client, user, business=provider.business.pk, connection=theirs.pk
        ).status_code
        == 404
    )
    assert (
        start(
            client, user, business=other.business.pk, connection=theirs.pk
        ).status_code
        == 404
    )
    assert (
        start(client, user, "caldav", business=provider.business.pk).status_code == 404
    )


def test_starting_needs_a_staff_login(client, provider):
    response = client.get(
        "/calendars/oauth/google/start/", {"business": provider.business.pk}
    )

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_unconfigured_provider_says_so_instead_of_redirecting(
    client, settings, provider
):
    settings.GOOGLE_OAUTH_CLIENT_ID = ""

    response = start(client, staff(provider.business), business=provider.business.pk)

    assert "accounts.google.com" not in response["Location"]
    assert not oauth.is_configured("google")


# --- the callback ---


def test_the_callback_stores_the_grant_encrypted_and_picks_the_primary_calendar(
    client, provider, respx_mock, rung
):
    user = staff(provider.business)
    state = state_of(
        start(client, user, business=provider.business.pk, provider=provider.pk)
    )
    google_account(respx_mock)

    response = client.get(
        "/calendars/oauth/google/callback/", {"code": "4/abc", "state": state}
    )

    connection = CalendarConnection.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/admin/calendars/calendarconnection/{connection.pk}/change/"
    )
    assert (connection.kind, connection.account) == ("google", "stylist@example.com")
    assert connection.provider == provider and connection.connected_by == user
    assert connection.status == CalendarConnection.Status.ACTIVE
    assert (
        "secret-refresh" not in connection.secret
        and "secret-access" not in connection.secret
    )
    assert connection.credentials()["refresh_token"] == "1//secret-refresh"
    calendars = {
        c.name: c for c in ConnectedCalendar.objects.filter(connection=connection)
    }
    assert (
        calendars["stylist@example.com"].blocks_time
        and calendars["stylist@example.com"].receives_bookings
    )
    assert not calendars["Holidays"].blocks_time  # holidays must not block whole days
    rung.assert_called_once_with(connection.pk)
    sent = respx_mock.calls[0].request
    body = dict(httpx.QueryParams(sent.content.decode()))
    assert body["grant_type"] == "authorization_code" and body["code"] == "4/abc"
    assert body["code_verifier"] and body["redirect_uri"].endswith("/google/callback/")
    # The state is single-use: replaying the callback does nothing.
    replay = client.get(
        "/calendars/oauth/google/callback/", {"code": "4/abc", "state": state}
    )
    assert replay.status_code == 302 and CalendarConnection.objects.count() == 1


def test_a_state_from_another_session_is_refused(client, provider, respx_mock, rung):
    user = staff(provider.business)
    state = state_of(start(client, user, business=provider.business.pk))
    client.logout()
    client.force_login(user)  # a fresh session: the nonce is not in it

    client.get("/calendars/oauth/google/callback/", {"code": "4/abc", "state": state})

    assert not CalendarConnection.objects.exists() and not respx_mock.calls


def test_a_tampered_or_foreign_users_state_is_refused(
    client, provider, respx_mock, rung
):
    user = staff(provider.business)
    state = state_of(start(client, user, business=provider.business.pk))
    other = staff(provider.business)

    client.get("/calendars/oauth/google/callback/", {"code": "x", "state": state + "x"})
    client.force_login(other)
    client.get("/calendars/oauth/google/callback/", {"code": "x", "state": state})

    assert not CalendarConnection.objects.exists() and not respx_mock.calls


def test_access_denied_stores_nothing(client, provider, respx_mock, rung):
    state = state_of(
        start(client, staff(provider.business), business=provider.business.pk)
    )

    response = client.get(
        "/calendars/oauth/google/callback/", {"error": "access_denied", "state": state}
    )

    assert response.status_code == 302 and not CalendarConnection.objects.exists()


def test_unticked_calendar_scopes_are_refused(client, provider, respx_mock, rung):
    state = state_of(
        start(client, staff(provider.business), business=provider.business.pk)
    )
    respx_mock.post(GOOGLE_TOKEN).respond(
        json={**GOOGLE_GRANT, "scope": oauth.GOOGLE_SCOPES[0]}
    )

    client.get("/calendars/oauth/google/callback/", {"code": "c", "state": state})

    assert not CalendarConnection.objects.exists()


def test_a_role_lost_during_consent_is_checked_again(
    client, provider, respx_mock, rung
):
    user = staff(provider.business)
    state = state_of(start(client, user, business=provider.business.pk))
    Membership.objects.filter(user=user).update(role=Membership.Role.FRONT_DESK)
    google_account(respx_mock)

    response = client.get(
        "/calendars/oauth/google/callback/", {"code": "c", "state": state}
    )

    assert response.status_code == 302 and not CalendarConnection.objects.exists()


def test_reconnecting_a_connection_that_needs_it_makes_it_active_again(
    client, provider, respx_mock, rung
):
    connection = CalendarConnection.objects.create(
        business=provider.business,
        provider=provider,
        kind="google",
        account="stylist@example.com",
        status=CalendarConnection.Status.NEEDS_RECONNECT,
        last_error="Google token endpoint: invalid_grant",
    )
    ConnectedCalendar.objects.create(
        connection=connection,
        remote_id="stylist@example.com",
        name="Mine",
        is_primary=True,
        blocks_time=True,
    )
    state = state_of(
        start(
            client,
            staff(provider.business),
            business=provider.business.pk,
            connection=connection.pk,
        )
    )
    google_account(respx_mock)

    client.get("/calendars/oauth/google/callback/", {"code": "c", "state": state})

    connection.refresh_from_db()
    assert CalendarConnection.objects.count() == 1
    assert (
        connection.status == CalendarConnection.Status.ACTIVE
        and connection.last_error == ""
    )
    assert connection.credentials()["refresh_token"] == "1//secret-refresh"
    assert connection.calendars.count() == 2
    assert not connection.calendars.get(
        is_primary=True
    ).receives_bookings  # choices kept


def test_reconnecting_with_a_different_account_is_refused(
    client, provider, respx_mock, rung
):
    connection = CalendarConnection.objects.create(
        business=provider.business,
        provider=provider,
        kind="google",
        account="stylist@example.com",
        status=CalendarConnection.Status.NEEDS_RECONNECT,
    )
    state = state_of(
        start(
            client,
            staff(provider.business),
            business=provider.business.pk,
            connection=connection.pk,
        )
    )
    google_account(respx_mock, email="someone-else@example.com")

    client.get("/calendars/oauth/google/callback/", {"code": "c", "state": state})

    connection.refresh_from_db()
    assert (
        connection.status == CalendarConnection.Status.NEEDS_RECONNECT
        and not connection.secret
    )


def test_microsoft_callback_reads_the_account_from_me(
    client, provider, respx_mock, rung
):
    state = state_of(
        start(
            client, staff(provider.business), "microsoft", business=provider.business.pk
        )
    )
    token = respx_mock.post(MS_TOKEN).respond(
        json={
            "access_token": "eyJ0-access",
            "refresh_token": "0.AR-refresh",
            "expires_in": 3600,
            "scope": "Calendars.ReadWrite User.Read",
        }
    )
    respx_mock.get(url__startswith=f"{GRAPH}/me/calendars").respond(
        json={
            "value": [
                {
                    "id": "AAMk=",
                    "name": "Calendar",
                    "canEdit": True,
                    "isDefaultCalendar": True,
                }
            ]
        }
    )
    respx_mock.get(url__startswith=f"{GRAPH}/me").respond(
        json={"mail": None, "userPrincipalName": "owner@contoso.onmicrosoft.com"}
    )

    client.get("/calendars/oauth/microsoft/callback/", {"code": "M.C1", "state": state})

    connection = CalendarConnection.objects.get()
    assert connection.provider is None  # the business's shared calendar
    assert connection.account == "owner@contoso.onmicrosoft.com"
    assert connection.calendars.get().receives_bookings
    assert (
        "offline_access"
        in dict(httpx.QueryParams(token.calls.last.request.content.decode()))["scope"]
    )


def test_a_business_the_user_has_no_role_in_is_404_even_for_the_callback(client, rung):
    business = BusinessFactory()
    user = staff(BusinessFactory())

    assert start(client, user, business=business.pk).status_code == 404
