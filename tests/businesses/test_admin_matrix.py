"""No admin page, widget, filter or action lets staff reach another business.

Generated from the admin site's registry: every tenant-scoped model admin, every
relation field of its form and inlines, for a front-desk member, a manager and a
user holding different roles at two businesses. An admin registered later is covered
without anyone adding it here, as long as `ROWS` knows how to make its rows (the first
test fails until it does).

Everything of the other business carries the marker "Zyxwv" in its text, so a page that
shows any of it, whatever the widget, is caught by one search.
"""

import re
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse

from apps.businesses import roles
from apps.businesses.models import Membership
from apps.businesses.tenancy import access_for
from apps.businesses.tenant_admin import TenantScopedAdmin
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory
from tests.rows import rows_of_every_kind

pytestmark = pytest.mark.django_db

MARKER = "zyxwv"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
Role = Membership.Role


SCOPED_ADMINS = {
    model._meta.label_lower: model_admin
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, TenantScopedAdmin)
}
LABELS = sorted(SCOPED_ADMINS)
# Who the user is: their role at each of their businesses ("own", and "second" for
# the user who works at two).
PERSONAS = {
    "front_desk": {"own": Role.FRONT_DESK},
    "manager": {"own": Role.MANAGER},
    "two_businesses": {"own": Role.FRONT_DESK, "second": Role.MANAGER},
}


class World:
    def __init__(self, persona: str, client):
        self.user = UserFactory(username=f"me-{persona}", is_staff=True)
        self.businesses, self.rows = {}, {}
        for place, role in PERSONAS[persona].items():
            business = BusinessFactory(name=f"{place.title()} Studio", slug=place)
            MembershipFactory(business=business, user=self.user, role=role)
            self.businesses[place] = business
            self.rows[place] = rows_of_every_kind(business, place.title())
        other = BusinessFactory(
            name="Zyxwv Studio", slug="zyxwv", timezone="Asia/Tokyo"
        )
        self.foreign = rows_of_every_kind(other, "Zyxwv")
        # A platform operator exists too; no staff page may name them.
        UserFactory(username="zyxwv-operator", is_superuser=True)
        self.client = client
        client.force_login(self.user)

    def request(self, path="/"):
        request = RequestFactory().get(path)
        request.user = self.user
        return request


@pytest.fixture(params=sorted(PERSONAS))
def world(request, client):
    return World(request.param, client)


def _url(label, view, *args):
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def _assert_shows_nothing_foreign(response, where: str):
    assert response.status_code in (200, 302, 403, 404), where
    # Random tokens could spell the marker by chance; they are not business data.
    page = CSRF_TOKEN.sub("", response.content.decode())
    assert MARKER not in page.lower(), where


def _relation_fields(model_admin, request, obj=None):
    """(form field name, form field, where) for the admin's form and its inlines."""
    found = []
    form = model_admin.get_form(request, obj)
    for name, field in form.base_fields.items():
        if isinstance(field, forms.ModelChoiceField):
            found.append((name, field, "form"))
    for inline in model_admin.get_inline_instances(request, obj):
        formset = inline.get_formset(request, obj)
        for name, field in formset.form.base_fields.items():
            if isinstance(field, forms.ModelChoiceField):
                found.append((name, field, type(inline).__name__))
    return found


def test_every_scoped_admin_has_rows_here():
    sample = rows_of_every_kind(BusinessFactory(), "Any")
    assert set(LABELS) <= set(sample)


@pytest.mark.parametrize("label", LABELS)
def test_relation_choices_labels_and_lookups_hide_other_businesses(world, label):
    model_admin = SCOPED_ADMINS[label]
    request = world.request()
    own = world.rows["own"][label]
    for obj in (None, own):
        for name, field, where in _relation_fields(model_admin, request, obj):
            target = field.queryset.model._meta.label_lower
            foreign = world.foreign[target]
            assert not field.queryset.filter(pk=foreign.pk).exists(), (where, name)
            if isinstance(field.widget, ForeignKeyRawIdWidget):
                assert field.widget.label_and_url_for_value(foreign.pk) == ("", "")
            response = world.client.get(
                reverse("admin:autocomplete")
                + "?"
                + urlencode(
                    {
                        "app_label": model_admin.opts.app_label,
                        "model_name": model_admin.opts.model_name,
                        "field_name": name,
                        "term": "",
                    }
                )
            )
            _assert_shows_nothing_foreign(response, f"autocomplete {label}.{name}")


@pytest.mark.parametrize("label", LABELS)
def test_no_page_of_the_admin_shows_another_business(world, label):
    model_admin = SCOPED_ADMINS[label]
    own = world.rows["own"][label]
    pages = [
        _url(label, "changelist"),
        _url(label, "changelist") + "?_facets=1",
        _url(label, "changelist") + "?q=e",  # matches rows of every business
        _url(label, "change", own.pk),
        _url(label, "history", own.pk),
        _url(label, "delete", own.pk),
    ]
    request = world.request()
    relations = _relation_fields(model_admin, request)
    if model_admin.has_add_permission(request):
        # Prefilled through ?field=: the widget must not label another business's row.
        prefill = {
            name: world.foreign[field.queryset.model._meta.label_lower].pk
            for name, field, where in relations
            if where == "form"
        }
        pages.append(_url(label, "add") + "?" + urlencode(prefill))
    for page in pages:
        _assert_shows_nothing_foreign(world.client.get(page), page)
    # An invalid POST re-renders what was sent: ids of another business show nothing.
    foreign_ids = {
        name: world.foreign[field.queryset.model._meta.label_lower].pk
        for name, field, where in _relation_fields(model_admin, request, own)
        if where == "form"
    }
    target = (
        _url(label, "add")
        if model_admin.has_add_permission(request)
        else _url(label, "change", own.pk)
    )
    _assert_shows_nothing_foreign(world.client.post(target, foreign_ids), target)


@pytest.mark.parametrize("label", LABELS)
def test_actions_leave_another_business_alone(world, label):
    model = type(world.foreign[label])
    foreign = world.foreign[label]
    before = model_to_dict(foreign)
    for action in SCOPED_ADMINS[label].get_actions(world.request()):
        response = world.client.post(
            _url(label, "changelist"),
            {"action": action, "_selected_action": [foreign.pk], "post": "yes"},
        )
        _assert_shows_nothing_foreign(response, action)
    assert model_to_dict(model._default_manager.get(pk=foreign.pk)) == before


@pytest.mark.parametrize("label", LABELS)
def test_what_a_user_may_do_to_a_row_is_their_role_in_its_business(world, label):
    model_admin = SCOPED_ADMINS[label]
    request = world.request()
    access = access_for(world.user)
    for place, business in world.businesses.items():
        row = world.rows[place][label]
        role = access.role_in(business.pk)
        may = {action: roles.allows(role, label, action) for action in roles.EVERYTHING}
        assert model_admin.has_view_permission(request, row) == (
            may[roles.VIEW] or may[roles.CHANGE]
        ), (place, "view")
        # An admin may be stricter than the role (read-only records), never looser.
        assert may[roles.CHANGE] or not model_admin.has_change_permission(request, row)
        assert may[roles.DELETE] or not model_admin.has_delete_permission(request, row)
        response = world.client.get(_url(label, "change", row.pk))
        assert response.status_code == (200 if may[roles.VIEW] else 404), place
    foreign = world.foreign[label]
    assert not model_admin.has_view_permission(request, foreign)
    assert world.client.get(_url(label, "change", foreign.pk)).status_code == 404


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_admins_outside_the_tenancy_are_for_operators_only(client, persona):
    user = World(persona, client).user
    request = RequestFactory().get("/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, TenantScopedAdmin):
            continue
        assert not model_admin.has_module_permission(request), model
        url = _url(model._meta.label_lower, "changelist")
        assert client.get(url).status_code == 403, model


def test_the_view_on_site_shortcut_never_tells_another_businesss_row_exists(client):
    world = World("manager", client)
    foreign = world.foreign["leads.lead"]
    content_type = ContentType.objects.get_for_model(foreign)
    gone = client.get(reverse("admin:view_on_site", args=[content_type.pk, 10**9]))
    response = client.get(
        reverse("admin:view_on_site", args=[content_type.pk, foreign.pk])
    )
    assert response.status_code == gone.status_code == 404
    assert response.content == gone.content
