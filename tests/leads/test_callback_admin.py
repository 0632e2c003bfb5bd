import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.businesses import roles
from apps.businesses.models import Membership
from apps.leads.models import CallbackRequest
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon():
    return BusinessFactory(name="Maison Belle")


@pytest.fixture
def me(salon):
    return MembershipFactory(
        business=salon, user__first_name="Fran", user__last_name="Desk"
    ).user


@pytest.fixture
def desk(client, me):
    """A front-desk member of the salon, signed in."""
    client.force_login(me)
    return client


def _press(client, callback, button, **data):
    url = reverse(f"admin:leads_callbackrequest_{button}", args=[callback.pk])
    return client.post(url, data)


def _page(client, callback):
    return client.get(reverse("admin:leads_callbackrequest_change", args=[callback.pk]))


def test_the_page_offers_a_tap_to_call_link_and_the_day_s_buttons(desk, salon):
    callback = CallbackRequestFactory(business=salon)

    page = _page(desk, callback).content.decode()

    assert 'href="tel:+15125550187"' in page
    assert 'href="sms:+15125550187"' in page
    assert "Mark done" in page
    assert "Assign to me" in page
    assert "Fran Desk" in page  # among the colleagues to hand it to


def test_mark_done_on_the_page_stamps_resolved_at_and_reopen_clears_it(desk, salon):
    callback = CallbackRequestFactory(business=salon)

    response = _press(desk, callback, "resolve")

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:leads_callbackrequest_change", args=[callback.pk]
    )
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.DONE
    assert callback.resolved_at is not None
    assert "Reopen" in _page(desk, callback).content.decode()

    _press(desk, callback, "reopen")
    callback.refresh_from_db()
    assert (callback.status, callback.resolved_at) == ("open", None)


def test_the_list_action_stamps_resolved_at_too(desk, salon):
    callback = CallbackRequestFactory(business=salon)

    desk.post(
        reverse("admin:leads_callbackrequest_changelist"),
        {"action": "resolve_callback_requests", "_selected_action": [callback.pk]},
    )

    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.DONE
    assert callback.resolved_at is not None


def test_assign_to_me_then_to_a_colleague_then_to_nobody(desk, salon, me):
    callback = CallbackRequestFactory(business=salon)
    colleague = MembershipFactory(business=salon).user

    _press(desk, callback, "assign", to=me.pk)
    callback.refresh_from_db()
    assert callback.assigned_to == me
    assert "Assign to me" not in _page(desk, callback).content.decode()

    _press(desk, callback, "assign", to=colleague.pk)
    callback.refresh_from_db()
    assert callback.assigned_to == colleague

    _press(desk, callback, "assign", to="")
    callback.refresh_from_db()
    assert callback.assigned_to is None


def test_a_request_cannot_go_to_someone_off_its_business_s_staff(desk, salon):
    callback = CallbackRequestFactory(business=salon)
    outsider = MembershipFactory().user

    response = _press(desk, callback, "assign", to=outsider.pk)

    callback.refresh_from_db()
    assert callback.assigned_to is None
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Pick someone on the staff."]


def test_buttons_are_posts_only(desk, salon):
    callback = CallbackRequestFactory(business=salon)
    url = reverse("admin:leads_callbackrequest_resolve", args=[callback.pk])

    assert desk.get(url).status_code == 405
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.OPEN


def test_buttons_need_the_csrf_token(me, salon):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(me)
    callback = CallbackRequestFactory(business=salon)

    assert _press(client, callback, "resolve").status_code == 403
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.OPEN


@pytest.mark.parametrize("button", ["resolve", "reopen", "assign"])
def test_another_business_s_request_is_out_of_reach(desk, me, button):
    theirs = CallbackRequestFactory(business=BusinessFactory())
    if button == "reopen":
        CallbackRequest.objects.filter(pk=theirs.pk).update(status="done")

    response = _press(desk, theirs, button, to=me.pk)

    assert response.status_code == 404
    assert _page(desk, theirs).status_code == 404
    after = CallbackRequest.objects.get(pk=theirs.pk)
    assert (after.assigned_to, after.resolved_at) == (None, None)


def test_saving_the_form_never_undoes_a_mark_done_pressed_meanwhile(desk, salon):
    callback = CallbackRequestFactory(business=salon, due_at=timezone.now())
    form = _page(desk, callback).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if name != "due_at"}
    due = timezone.localtime(callback.due_at, salon.tzinfo)
    data |= {
        "message": "Wants the bridal package",
        "due_at_0": due.strftime("%Y-%m-%d"),
        "due_at_1": due.strftime("%H:%M:%S"),
    }
    _press(desk, callback, "resolve")

    response = desk.post(
        reverse("admin:leads_callbackrequest_change", args=[callback.pk]), data
    )

    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.message == "Wants the bridal package"
    assert callback.status == CallbackRequest.Status.DONE
    assert callback.resolved_at is not None


def test_a_request_added_by_hand_gets_a_due_time_and_an_owner_of_that_business(
    client, salon
):
    manager = MembershipFactory(business=salon, role=Membership.Role.MANAGER).user
    colleague = MembershipFactory(business=salon).user
    outsider = MembershipFactory().user
    client.force_login(manager)
    url = reverse("admin:leads_callbackrequest_add")
    choices = client.get(url).context["adminform"].form.fields["assigned_to"]
    assert set(choices.queryset) == {manager, colleague}
    data = {
        "business": salon.pk,
        "callback_number": "+15125550187",
        "message": "Call about the quote",
        "urgency": "urgent",
    }

    refused = client.post(url, data | {"assigned_to": outsider.pk})
    client.post(url, data | {"assigned_to": colleague.pk})

    assert refused.status_code == 200  # the form again, with the error
    callback = CallbackRequest.objects.get()
    assert callback.assigned_to == colleague
    assert callback.due_at is not None


def test_the_list_shows_owner_and_due_time_and_highlights_what_is_overdue(
    desk, salon, me
):
    CallbackRequestFactory(
        business=salon,
        name="Late Larry",
        assigned_to=me,
        due_at=timezone.now() - dt.timedelta(hours=2),
    )
    CallbackRequestFactory(
        business=salon, name="Soon Sam", due_at=timezone.now() + dt.timedelta(hours=2)
    )

    page = desk.get(reverse("admin:leads_callbackrequest_changelist")).content.decode()

    assert page.count("vh-overdue") == 1
    late = page[page.index("Late Larry") :]
    assert "Fran Desk" in late[: late.index("</tr>")]
    assert 'href="tel:+15125550187"' in page


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("owner=mine", {"Late Larry"}),
        ("owner=nobody", {"Soon Sam", "Done Dora"}),
        ("due=overdue", {"Late Larry"}),
    ],
)
def test_filters_mine_and_overdue(desk, salon, me, query, names):
    now = timezone.now()
    CallbackRequestFactory(
        business=salon,
        name="Late Larry",
        assigned_to=me,
        due_at=now - dt.timedelta(hours=1),
    )
    CallbackRequestFactory(
        business=salon, name="Soon Sam", due_at=now + dt.timedelta(hours=1)
    )
    CallbackRequestFactory(
        business=salon,
        name="Done Dora",
        due_at=now - dt.timedelta(hours=1),
        status=CallbackRequest.Status.DONE,
    )

    response = desk.get(reverse("admin:leads_callbackrequest_changelist") + "?" + query)

    assert {c.name for c in response.context["cl"].result_list} == names


def test_a_lead_s_page_lists_its_requests_with_owner_and_due_time(desk, salon, me):
    lead = LeadFactory(business=salon)
    CallbackRequestFactory(business=salon, lead=lead, assigned_to=me)

    page = desk.get(reverse("admin:leads_lead_change", args=[lead.pk]))

    assert "Fran Desk" in page.content.decode()
    assert "/admin/auth/user/" not in page.content.decode()


@pytest.mark.parametrize("button", ["resolve", "assign"])
def test_a_role_that_may_only_view_requests_presses_nothing(
    desk, salon, me, monkeypatch, button
):
    monkeypatch.setitem(
        roles.FRONT_DESK_GRANTS, "leads.callbackrequest", frozenset({roles.VIEW})
    )
    callback = CallbackRequestFactory(business=salon)

    assert _press(desk, callback, button, to=me.pk).status_code == 403
    assert "Mark done" not in _page(desk, callback).content.decode()
    callback.refresh_from_db()
    assert (callback.status, callback.assigned_to) == ("open", None)
