"""Every admin page keeps a staff member inside their own businesses."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from apps.businesses.tenancy import TenantScopedAdmin
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import (
    BusinessFactory,
    MembershipFactory,
    VapiPhoneNumberFactory,
)
from tests.calls.factories import (
    CallFactory,
    ToolInvocationFactory,
    WebhookEventFactory,
)
from tests.core.factories import UserFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

SOON = timezone.now() + dt.timedelta(
    days=2
)  # the appointment list opens on upcoming ones

# How to make a row of each model for a business.
MAKERS = {
    "businesses.business": lambda business: business,
    "businesses.vapiphonenumber": lambda b: VapiPhoneNumberFactory(business=b),
    "businesses.membership": lambda b: MembershipFactory(business=b),
    "leads.lead": lambda b: LeadFactory(business=b),
    "leads.callbackrequest": lambda b: CallbackRequestFactory(
        business=b, lead=LeadFactory(business=b)
    ),
    "calls.call": lambda b: CallFactory(business=b),
    "calls.webhookevent": lambda b: WebhookEventFactory(call=CallFactory(business=b)),
    "calls.toolinvocation": lambda b: ToolInvocationFactory(
        call=CallFactory(business=b)
    ),
    "appointments.service": lambda b: ServiceFactory(business=b),
    "appointments.provider": lambda b: ProviderFactory(business=b),
    "appointments.appointment": lambda b: AppointmentFactory(business=b, start_at=SOON),
    "notifications.notification": lambda b: NotificationFactory(business=b),
}
SCOPED = sorted(
    model._meta.label_lower
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, TenantScopedAdmin)
)


def test_every_business_model_in_the_admin_is_scoped_and_covered_here():
    assert set(SCOPED) == set(MAKERS)


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


@pytest.mark.parametrize("label", SCOPED)
def test_lists_show_only_the_users_own_rows(staff, label):
    client, user, mine, theirs = staff
    own, foreign = MAKERS[label](mine), MAKERS[label](theirs)
    response = client.get(_url(label, "changelist"))
    if not user.has_perm(f"{label.split('.')[0]}.view_{label.split('.')[1]}"):
        assert response.status_code == 403
        return
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert own.pk in shown
    assert foreign.pk not in shown


@pytest.mark.parametrize("label", SCOPED)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_a_guessed_url_of_another_business_is_a_404(staff, label, view):
    client, user, _, theirs = staff
    foreign = MAKERS[label](theirs)
    response = client.get(_url(label, view, foreign.pk))
    if not user.has_perm(f"{label.split('.')[0]}.view_{label.split('.')[1]}"):
        assert response.status_code in (403, 404)
    else:
        assert response.status_code == 404


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
