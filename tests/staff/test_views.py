import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.businesses.models import Membership
from apps.notifications.models import Notification
from apps.staff import services
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory
from tests.staff.conftest import SITE_URL

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-lantern-42"


@pytest.fixture
def invited():
    business = BusinessFactory(name="Maison Belle")
    manager = MembershipFactory(business=business, role=Membership.Role.MANAGER).user
    return services.invite_staff_member(
        business, email="dana@example.com", role="front_desk", invited_by=manager
    )


def emailed_path() -> str:
    """The set-password link in the queued invite, as a path for the test client."""
    body = Notification.objects.get(kind="staff_invite").body
    (link,) = [word for word in body.split() if "/staff/set-password/" in word]
    return link.removeprefix(SITE_URL)


def sign_in(client, password):
    return client.post(
        reverse("admin:login"),
        {"username": "dana@example.com", "password": password},
        REMOTE_ADDR="10.0.0.7",
    )


def test_an_invited_member_sets_a_password_and_signs_in(client, invited):
    opened = client.get(emailed_path())
    # Django moves the token into the session, out of the URL (and Referer headers).
    assert opened.status_code == 302
    assert opened.url.endswith("/set-password/")

    form = client.get(opened.url)
    page = form.content.decode()
    assert form.status_code == 200
    assert "Set your password" in page
    assert "VoiceHive" in page  # the admin's header, not "Django administration"
    assert 'name="new_password1"' in page

    saved = client.post(
        opened.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert saved.status_code == 302
    assert saved.url == reverse("staff:set-password-done")

    done = client.get(saved.url).content.decode()
    assert f'href="{reverse("admin:login")}"' in done

    user = get_user_model().objects.get(email="dana@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert user.is_staff
    signed_in = sign_in(client, NEW_PASSWORD)
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_link_stops_working_once_the_password_is_set(client, invited):
    path = emailed_path()
    form_url = client.get(path).url
    client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(path)

    assert again.status_code == 200
    assert 'name="new_password1"' not in again.content.decode()


def test_mismatched_passwords_are_asked_again(client, invited):
    form_url = client.get(emailed_path()).url

    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": "something-else"}
    )

    assert response.status_code == 200
    assert "didn’t match" in response.content.decode()
    invited.user.refresh_from_db()
    assert not invited.user.has_usable_password()


def test_a_forged_link_shows_no_form(client):
    user = UserFactory()

    response = client.get(
        reverse("staff:set-password", kwargs={"uidb64": "MQ", "token": "abc-123"})
    )

    assert response.status_code == 200
    assert 'name="new_password1"' not in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")
