"""Every admin page keeps a staff member inside their own businesses."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from apps.leads.models import Lead
from tests.appointments.factories import (
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import (
    BusinessFactory,
)
from tests.core.factories import UserFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

SOON = timezone.now() + dt.timedelta(
    days=2
)  # the appointment list opens on upcoming ones


@pytest.fixture(params=[Membership.Role.FRONT_DESK, Membership.Role.MANAGER])
def staff(request, client):
    mine, theirs = BusinessFactory(), BusinessFactory()
    user = UserFactory(is_staff=False)
    business_services.add_member(mine, user=user, role=request.param)
    client.force_login(user)
    return client, user, mine, theirs


def _url(label, view, *args):
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def test_search_never_reaches_another_business(staff):
    client, _, mine, theirs = staff
    LeadFactory(business=mine, name="Ada Own")
    LeadFactory(business=theirs, name="Ada Foreign")
    response = client.get(_url("leads.lead", "changelist") + "?q=Ada")
    assert [lead.name for lead in response.context["cl"].result_list] == ["Ada Own"]


def test_actions_cannot_touch_another_business(staff):
    client, _, _, theirs = staff
    foreign = LeadFactory(business=theirs, status="new")
    client.post(
        _url("leads.lead", "changelist"),
        {"action": "mark_won", "_selected_action": [foreign.pk]},
    )
    foreign.refresh_from_db()
    assert foreign.status == "new"


def test_exports_contain_only_own_rows(staff):
    client, _, mine, theirs = staff
    own = LeadFactory(business=mine, name="Own Lead")
    foreign = LeadFactory(business=theirs, name="Foreign Lead")
    response = client.post(
        _url("leads.lead", "changelist"),
        {"action": "export_csv", "_selected_action": [own.pk, foreign.pk]},
    )
    body = response.content.decode()
    assert "Own Lead" in body
    assert "Foreign Lead" not in body


def test_a_form_refuses_choices_from_another_business(staff):
    client, _, mine, theirs = staff
    foreign_service = ServiceFactory(business=theirs)
    provider = ProviderFactory(business=mine)
    response = client.post(
        _url("appointments.appointment", "add"),
        {
            "business": mine.pk,
            "service": foreign_service.pk,
            "provider": provider.pk,
            "lead": "",
            "start_at_0": "2031-01-06",
            "start_at_1": "10:00:00",
            "notes": "",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_an_action_runs_only_where_the_users_role_allows_it(client):
    desk_at, managed = BusinessFactory(), BusinessFactory()
    user = UserFactory(is_staff=False)
    business_services.add_member(desk_at, user=user, role=Membership.Role.FRONT_DESK)
    business_services.add_member(managed, user=user, role=Membership.Role.MANAGER)
    client.force_login(user)
    kept, deleted = LeadFactory(business=desk_at), LeadFactory(business=managed)
    response = client.post(
        _url("leads.lead", "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [kept.pk, deleted.pk],
            "post": "yes",
        },
        follow=True,
    )
    assert Lead.objects.filter(pk=kept.pk).exists()
    assert not Lead.objects.filter(pk=deleted.pk).exists()
    assert "1 selected row(s) left alone" in response.content.decode()


def test_front_desk_is_not_offered_destructive_actions(staff):
    client, user, _, _ = staff
    response = client.get(_url("leads.lead", "changelist"))
    offered = {
        name for name, _ in response.context["action_form"].fields["action"].choices
    }
    destructive = {"delete_selected", "merge_duplicates"}
    if user.memberships.get().role == Membership.Role.FRONT_DESK:
        assert not offered & destructive
    else:
        assert offered >= destructive
