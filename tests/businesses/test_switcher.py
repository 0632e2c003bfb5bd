"""Staff of several businesses narrow their pages to one of them, and only to theirs."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.businesses import middleware, switcher
from apps.businesses.models import Membership
from tests.appointments.factories import ServiceFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calls.factories import CallFactory, WebhookEventFactory
from tests.core.factories import UserFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
SWITCH = "businesses:switch"
LEADS = "admin:leads_lead_changelist"


@pytest.fixture
def two(client):
    """A user at two businesses (front desk at one, manager at the other), and a
    third business they hold no role in."""
    user = UserFactory(username="two-places")
    north = BusinessFactory(name="North Studio", timezone="America/Chicago")
    south = BusinessFactory(name="South Studio", timezone="Asia/Tokyo")
    MembershipFactory(user=user, business=north, role=Role.FRONT_DESK)
    MembershipFactory(user=user, business=south, role=Role.MANAGER)
    other = BusinessFactory(name="Zyxwv Studio")
    for business in (north, south, other):
        LeadFactory(business=business, name=f"{business.name.split()[0]} Lead")
    client.force_login(user)
    return client, north, south, other


def _switch(client, business, next_url="/admin/leads/lead/"):
    return client.post(
        reverse(SWITCH),
        {"switcher-business": business.pk if business else "", "next": next_url},
    )


def _page(client, name="admin:leads_lead_changelist") -> str:
    return client.get(reverse(name)).content.decode()


def test_switching_to_one_of_your_businesses_narrows_the_list(two):
    client, north, south, _ = two

    response = _switch(client, north)

    assert response.status_code == 302
    assert response.url == "/admin/leads/lead/"
    page = _page(client)
    assert "North Lead" in page
    assert "South Lead" not in page


def test_all_businesses_widens_the_list_again(two):
    client, north, _, _ = two
    _switch(client, north)

    _switch(client, None)

    page = _page(client)
    assert "North Lead" in page and "South Lead" in page
    assert switcher.SESSION_KEY not in client.session


def test_you_cannot_switch_to_a_business_you_hold_no_role_in(two):
    client, _, _, other = two

    response = _switch(client, other)

    assert response.status_code == 302
    assert switcher.SESSION_KEY not in client.session
    page = client.get(response.url).content.decode()
    assert "You can only switch to a business you work at." in page
    assert "Zyxwv" not in page
    assert "North Lead" in page and "South Lead" in page


def test_an_unknown_business_id_is_refused_alike(two):
    client, *_ = two

    client.post(reverse(SWITCH), {"switcher-business": "999999", "next": "/admin/"})
    client.post(reverse(SWITCH), {"switcher-business": "north", "next": "/admin/"})

    assert switcher.SESSION_KEY not in client.session


def test_a_forged_session_value_narrows_nothing(two):
    client, _, _, other = two
    session = client.session
    session[switcher.SESSION_KEY] = other.pk
    session.save()

    page = _page(client)

    assert "North Lead" in page and "South Lead" in page
    assert "Zyxwv" not in page


def test_losing_the_role_at_the_chosen_business_widens_nothing_it_should_not(two):
    client, north, south, _ = two
    _switch(client, north)
    Membership.objects.filter(business=north).delete()

    page = _page(client)

    assert "North Lead" not in page
    assert "South Lead" in page


def test_a_row_of_another_of_your_businesses_still_opens_from_a_link(two):
    client, north, south, _ = two
    _switch(client, north)
    south_lead = south.leads.get()

    response = client.get(reverse("admin:leads_lead_change", args=[south_lead.pk]))

    assert response.status_code == 200


def test_a_forms_lookup_popup_still_offers_every_business(two):
    """A row of South, opened while narrowed to North, picks its lead from South."""
    client, north, _, _ = two
    _switch(client, north)

    popup = client.get(reverse(LEADS) + "?_popup=1&_to_field=id").content.decode()

    assert "North Lead" in popup and "South Lead" in popup


def test_rows_reaching_their_business_through_another_row_narrow_too(two):
    client, north, south, _ = two
    for business in (north, south):
        call = CallFactory(business=business, vapi_call_id=f"{business.name}-call")
        WebhookEventFactory(call=call, vapi_call_id=call.vapi_call_id)
    _switch(client, south)

    page = _page(client, "admin:calls_webhookevent_changelist")

    assert "South Studio-call" in page
    assert "North Studio-call" not in page


def test_the_switch_reads_times_in_the_chosen_businesss_zone(two):
    client, _, south, _ = two

    _switch(client, south)

    assert client.session[middleware.SESSION_KEY] == "Asia/Tokyo"


def test_a_new_row_defaults_to_the_chosen_business(two):
    client, _, south, _ = two
    _switch(client, south)

    response = client.get(reverse("admin:leads_lead_add"))

    assert response.context["adminform"].form.initial["business"] == south.pk


def test_the_switch_goes_back_only_to_this_site(two):
    client, north, _, _ = two

    response = _switch(client, north, next_url="https://evil.example/admin/")

    assert response.url == reverse("admin:index")


def test_the_switch_takes_only_a_post_with_its_csrf_token(two):
    _, north, _, _ = two
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(north.memberships.get().user)

    assert strict.get(reverse(SWITCH)).status_code == 405
    assert _switch(strict, north).status_code == 403
    assert switcher.SESSION_KEY not in strict.session


def test_only_staff_may_switch(client):
    business = BusinessFactory()

    response = _switch(client, business)

    assert response.status_code == 302
    assert reverse("admin:login") in response.url
    assert switcher.SESSION_KEY not in client.session


# --- the Business column ---


def test_staff_of_several_businesses_see_a_business_column(two):
    client, *_ = two

    page = _page(client)

    assert "column-business" in page
    assert "North Studio" in page and "South Studio" in page


def test_staff_of_one_business_see_no_business_column(client):
    member = MembershipFactory(role=Role.MANAGER)
    LeadFactory(business=member.business)
    ServiceFactory(business=member.business)
    client.force_login(member.user)

    for name in (LEADS, "admin:appointments_service_changelist"):
        assert "column-business" not in _page(client, name), name


def test_a_list_narrowed_to_one_business_drops_the_column(two):
    client, north, _, _ = two
    _switch(client, north)

    assert "column-business" not in _page(client)


def test_operators_see_the_business_column(admin_client):
    LeadFactory(business=BusinessFactory(name="Only Studio"))

    page = _page(admin_client)

    assert "column-business" in page
    assert "Only Studio" in page


def test_the_business_column_sorts_by_name(two):
    client, *_ = two
    assert '<a href="?o=2.-9">Business</a>' in _page(client)  # a sortable header

    ascending = client.get(reverse(LEADS) + "?o=2").content.decode()
    descending = client.get(reverse(LEADS) + "?o=-2").content.decode()

    assert ascending.index("North Lead") < ascending.index("South Lead")
    assert descending.index("South Lead") < descending.index("North Lead")


# --- the header and the dashboard ---


def test_the_header_offers_only_the_users_businesses(two):
    client, *_ = two

    page = _page(client, "admin:index")

    assert 'class="business-switcher"' in page
    assert "All businesses" in page
    assert '">North Studio</option>' in page and '">South Studio</option>' in page
    assert "Zyxwv" not in page


def test_the_header_shows_the_chosen_business(two):
    client, north, _, _ = two
    _switch(client, north)

    page = _page(client, "admin:index")

    assert f'<option value="{north.pk}" selected>North Studio</option>' in page


def test_staff_of_one_business_get_no_switcher(client):
    member = MembershipFactory()
    client.force_login(member.user)

    assert "business-switcher" not in _page(client, "admin:index")


def test_the_dashboard_narrows_to_the_chosen_business(two):
    client, north, south, _ = two
    CallFactory(business=north, caller_number="+15125550101", has_hang=True)
    CallFactory(business=south, caller_number="+15125550102", has_hang=True)
    _switch(client, south)

    page = _page(client, "admin:index")

    assert "+15125550102" in page
    assert "+15125550101" not in page
