import pytest
from django.urls import reverse

from apps.businesses.models import Membership
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calls.factories import CallFactory

pytestmark = pytest.mark.django_db


def test_the_admin_index_is_a_dashboard_with_a_chart(admin_client):
    CallFactory(has_hang=True)
    response = admin_client.get(reverse("admin:index"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Today at a glance" in page
    assert "calls today" in page
    assert "Roxy went silent" in page
    assert "<svg" in page
    assert "cdn" not in page.lower()  # drawn server-side, nothing external


def test_a_staff_member_sees_only_their_business_on_the_dashboard(client):
    member = MembershipFactory(role=Membership.Role.MANAGER)
    CallFactory(business=member.business, caller_number="+15125550101", has_hang=True)
    CallFactory(business=BusinessFactory(), caller_number="+15125550999", has_hang=True)
    client.force_login(member.user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "+15125550101" in page
    assert "+15125550999" not in page


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Membership.Role.FRONT_DESK, ["Calendar", "Book"]),
        (Membership.Role.MANAGER, ["Calendar", "Book", "Reports"]),
    ],
)
def test_the_header_links_the_front_desk_pages_a_role_reaches(client, role, links):
    member = MembershipFactory(role=role)
    client.force_login(member.user)

    page = client.get(reverse("admin:index")).content.decode()

    shown = [
        label for label in ("Calendar", "Book", "Reports") if f">{label}</a>" in page
    ]
    assert shown == links
    assert f'href="{reverse("frontdesk:calendar")}"' in page


def test_a_user_with_no_role_gets_no_front_desk_links(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", is_staff=True)
    client.force_login(user)

    page = client.get(reverse("admin:index")).content.decode()

    assert reverse("frontdesk:calendar") not in page
