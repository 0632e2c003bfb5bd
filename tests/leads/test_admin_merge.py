import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.leads.admin import LeadAdmin
from apps.leads.models import Lead
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:leads_lead_changelist")


@pytest.fixture
def pair():
    """An older lead and a newer duplicate with a call, an appointment and a callback."""
    oldest = LeadFactory(name="Dana W", email="")
    oldest.created_at = timezone.now() - dt.timedelta(days=3)
    oldest.save(update_fields=["created_at"])
    duplicate = LeadFactory(
        business=oldest.business, name="Dana Whitfield", email="dana@example.com"
    )
    CallFactory(business=oldest.business, lead=duplicate)
    AppointmentFactory(business=oldest.business, lead=duplicate)
    CallbackRequestFactory(business=oldest.business, lead=duplicate)
    return oldest, duplicate


def _merge(admin_client, leads, **extra):
    return admin_client.post(
        URL,
        {
            "action": "merge_duplicates",
            "_selected_action": [lead.pk for lead in leads],
            **extra,
        },
        follow=True,
    )


def test_first_post_shows_what_is_kept_and_what_is_deleted_and_changes_nothing(
    admin_client, pair
):
    oldest, duplicate = pair

    response = _merge(admin_client, [duplicate, oldest])

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == (
        "admin/leads/lead/merge_duplicates_confirmation.html"
    )
    assert response.context["survivor"] == oldest
    assert response.context["duplicates"] == [duplicate]
    page = response.content.decode()
    kept = page[page.index('class="merge-survivor"') :]
    kept = kept[: kept.index("</tr>")]
    merged = page[page.index('class="merge-duplicate"') :]
    merged = merged[: merged.index("</tr>")]
    assert "Kept" in kept and "Dana W<" in kept
    assert "Merged in, then deleted" in merged and "Dana Whitfield" in merged
    assert "dana@example.com" in merged
    assert [c.strip() for c in merged.split("<td>")[-3:]] == [
        "1</td>",
        "1</td>",
        "1</td>",
    ]  # its call, appointment and callback request move over
    assert "deleted" in page and "cannot be undone" in page
    for lead in (oldest, duplicate):
        assert f'name="_selected_action" value="{lead.pk}"' in page
    assert 'name="action" value="merge_duplicates"' in page
    assert 'name="post" value="yes"' in page
    assert "csrfmiddlewaretoken" in page
    assert "No, take me back" in page
    assert Lead.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.calls.count() == 1


def test_confirmed_post_merges_into_the_oldest_lead(admin_client, pair):
    oldest, duplicate = pair

    response = _merge(admin_client, [oldest, duplicate], post="yes")

    assert response.status_code == 200
    assert b"Merged 1 lead(s) into" in response.content
    assert not Lead.objects.filter(pk=duplicate.pk).exists()
    oldest.refresh_from_db()
    assert oldest.email == "dana@example.com"
    assert (
        oldest.calls.count(),
        oldest.appointments.count(),
        oldest.callback_requests.count(),
    ) == (1, 1, 1)


def test_confirmation_page_escapes_what_callers_said(admin_client):
    lead = LeadFactory(name="<script>alert(1)</script>")
    other = LeadFactory(business=lead.business)

    page = _merge(admin_client, [lead, other]).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_leads_of_two_businesses_are_refused_without_a_confirmation_page(
    admin_client,
):
    first = LeadFactory()
    second = LeadFactory(business=BusinessFactory())

    response = _merge(admin_client, [first, second])

    assert response.redirect_chain == [(URL, 302)]
    assert b"Select two or more leads of the same business to merge." in (
        response.content
    )
    assert Lead.objects.count() == 2


def test_a_single_lead_is_refused_without_a_confirmation_page(admin_client):
    lead = LeadFactory()

    response = _merge(admin_client, [lead])

    assert response.redirect_chain == [(URL, 302)]
    assert b"Select two or more leads of the same business to merge." in (
        response.content
    )


def test_merging_needs_the_delete_permission():
    assert LeadAdmin.merge_duplicates.allowed_permissions == ("delete",)
