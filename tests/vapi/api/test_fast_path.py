"""VAPI's webhook skips the staff pages' middleware; every other page keeps all of it."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.calls.models import WebhookEvent
from tests.vapi.payloads import payload_bytes
from tests.vapi.webhook import URL, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

BODY = payload_bytes("02-status-update-in-progress")
STAFF_ONLY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "Set-Cookie")


def test_the_fast_path_sits_right_after_the_security_middleware():
    # HTTPS redirect and HSTS still apply to the webhook; nothing else runs first.
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "apps.vapi.api.fast_path.VapiWebhookFastPath",
    ]


def test_the_webhook_answers_without_the_staff_pages_middleware(post):
    response = post(BODY)

    assert response.status_code == 200
    assert response.json() == {}
    for header in STAFF_ONLY_HEADERS:
        assert header not in response
    assert response.wsgi_request.resolver_match is None  # no URL resolving either
    assert not hasattr(response.wsgi_request, "session")
    assert WebhookEvent.objects.count() == 1


def test_a_staff_cookie_costs_the_webhook_no_session_or_user_read(client):
    staff = get_user_model().objects.create_user("desk", password="x", is_staff=True)
    client.force_login(staff)

    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            URL, BODY, content_type="application/json", headers=bearer()
        )

    assert response.status_code == 200
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "django_session" not in sql
    assert "auth_user" not in sql
    assert "businesses_membership" not in sql


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), (bearer("wrong"), 401), ({"Authorization": "Basic Zm9v"}, 401)],
)
def test_the_webhook_still_refuses_bad_credentials_with_json(post, headers, status):
    response = post(BODY, headers)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert not WebhookEvent.objects.exists()


def test_the_webhook_still_refuses_a_broken_envelope_and_other_methods(client):
    broken = client.post(
        URL, b'{"message": 1}', content_type="application/json", headers=bearer()
    )
    got = client.get(URL, headers=bearer())

    assert broken.status_code == 400
    assert broken["Content-Type"] == "application/json"
    assert got.status_code == 405
    assert got["Content-Type"] == "application/json"


def test_the_webhook_does_not_need_a_csrf_token(webhook_settings):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(URL, BODY, content_type="application/json", headers=bearer())

    assert response.status_code == 200


def test_plain_http_is_still_redirected_to_https(post, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert post(BODY).status_code == 301
    assert not WebhookEvent.objects.exists()


def test_staff_pages_keep_csp_framing_sessions_and_csrf():
    strict = Client(enforce_csrf_checks=True)
    login = reverse("admin:login")

    page = strict.get(login)
    refused = strict.post(login, {"username": "x", "password": "y"})

    assert page.status_code == 200
    assert "Content-Security-Policy" in page
    assert page["X-Frame-Options"] == "DENY"
    assert "csrftoken" in page.cookies
    assert refused.status_code == 403  # no CSRF token: CsrfViewMiddleware ran


def test_a_staff_page_still_has_the_session_and_the_user(client):
    staff = get_user_model().objects.create_user("desk", password="x", is_staff=True)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.wsgi_request.user == staff
    assert response.wsgi_request.session.session_key


@pytest.mark.parametrize("path", [URL.rstrip("/"), URL + "extra/", URL.upper()])
def test_only_the_exact_webhook_path_takes_the_fast_path(client, path):
    response = client.post(path, BODY, content_type="application/json")

    assert response.status_code in (301, 404)
    assert not WebhookEvent.objects.exists()
