"""The call list's search: callers by name or number, calls by what was said."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from apps.calls import search
from apps.calls.admin import SearchPaginator
from apps.calls.models import Call
from apps.leads.models import Lead
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.core.factories import UserFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon():
    return BusinessFactory()


@pytest.fixture
def dana(salon):
    lead = LeadFactory(business=salon, name="Dana Whitfield", phone="+15125550187")
    return CallFactory(
        business=salon,
        lead=lead,
        caller_number="+15125550187",
        transcript="AI: Maison Belle, this is Roxy.\nUser: I'd like to book a balayage.",
        summary="Dana booked a cut and colour for Saturday.",
        vapi_summary="The caller asked about bridal styling.",
    )


@pytest.fixture
def other(salon):
    return CallFactory(
        business=salon,
        caller_number="+17372004242",
        transcript="AI: Maison Belle.\nUser: Is there parking behind the studio?",
    )


def _found(term: str, business=None) -> list[Call]:
    calls = Call.objects.all()
    leads = Lead.objects.filter(business=business) if business else Lead.objects.all()
    return list(search.search_calls(calls, term, leads=leads))


@pytest.mark.parametrize(
    "term",
    ["(512) 555-0187", "512-555-0187", "+1 512 555 0187", "5125550187", "0187"],
)
def test_a_number_in_any_format_or_part_of_it_finds_the_callers_calls(
    dana, other, term
):
    assert _found(term) == [dana]


@pytest.mark.parametrize("term", ["Dana", "whitfield", "Dana Whitfield"])
def test_the_callers_name_finds_their_calls(dana, other, term):
    assert _found(term) == [dana]


@pytest.mark.parametrize("term", ["balayage", "parking", "colour", "bridal"])
def test_words_from_the_transcript_or_either_summary_find_the_call(dana, other, term):
    expected = other if term == "parking" else dana
    assert _found(term) == [expected]


def test_the_vapi_call_id_finds_the_call(dana, other):
    assert _found(dana.vapi_call_id) == [dana]


@pytest.mark.parametrize("term", ["", "   "])
def test_an_empty_search_keeps_every_call(dana, other, term):
    assert set(_found(term)) == {dana, other}


def test_a_name_is_looked_up_only_among_the_leads_given(dana, salon):
    elsewhere = BusinessFactory()
    assert _found("Whitfield", business=elsewhere) == []
    assert _found("Whitfield", business=salon) == [dana]


def test_a_common_name_is_matched_in_the_database_not_listed(dana, salon, monkeypatch):
    monkeypatch.setattr(search, "NAME_MATCH_LIMIT", 1)
    namesake = CallFactory(
        business=salon, lead=LeadFactory(business=salon, name="Dana Scully")
    )

    assert set(_found("Dana", business=salon)) == {dana, namesake}


def test_a_name_search_costs_the_same_queries_however_many_leads_match(dana, salon):
    with CaptureQueriesContext(connection) as one:
        assert len(_found("Dana", business=salon)) == 1
    for n in range(5):
        CallFactory(business=salon, lead=LeadFactory(business=salon, name=f"Dana {n}"))
    with CaptureQueriesContext(connection) as many:
        assert len(_found("Dana", business=salon)) == 6

    assert len(many) == len(one) <= 2  # the leads named so, then the calls


@pytest.fixture(params=[Membership.Role.FRONT_DESK, Membership.Role.MANAGER])
def staff(request, client, salon):
    user = UserFactory(is_staff=False)
    business_services.add_member(salon, user=user, role=request.param)
    client.force_login(user)
    return client


def _search_page(client, term: str):
    return client.get(reverse("admin:calls_call_changelist"), {"q": term})


@pytest.mark.parametrize("term", ["Dana Whitfield", "balayage", "0187"])
def test_the_search_box_never_reaches_another_business(staff, dana, term):
    elsewhere = BusinessFactory()
    twin = LeadFactory(business=elsewhere, name="Dana Whitfield", phone="+15125550187")
    CallFactory(
        business=elsewhere,
        lead=twin,
        caller_number="+15125550187",
        transcript=dana.transcript,
    )

    response = _search_page(staff, term)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [dana]


def test_the_search_page_costs_the_same_queries_for_one_call_or_many(
    staff, dana, salon
):
    _search_page(staff, "Dana")  # the first page of a session reads more
    with CaptureQueriesContext(connection) as one:
        _search_page(staff, "Dana")
    for n in range(6):
        CallFactory(business=salon, lead=LeadFactory(business=salon, name=f"Dana {n}"))
    with CaptureQueriesContext(connection) as many:
        response = _search_page(staff, "Dana")

    assert len(response.context["cl"].result_list) == 7
    assert len(many) == len(one)


def test_a_search_with_many_matches_says_more_than_the_cap(staff, salon, monkeypatch):
    monkeypatch.setattr(SearchPaginator, "cap", 2)
    for _ in range(3):
        CallFactory(business=salon, transcript="User: Is there parking?")

    page = _search_page(staff, "parking").content.decode()

    assert "More than 2 results" in page
    assert "More than 2 calls" in page


def test_the_list_without_a_search_counts_exactly(staff, salon):
    for _ in range(3):
        CallFactory(business=salon)

    page = staff.get(reverse("admin:calls_call_changelist")).content.decode()

    assert "3 calls" in page
    assert "More than" not in page


# --- PostgreSQL: the stored tsvector, its trigger and its index ---------------------


def _document(call) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document::text FROM calls_call WHERE id = %s", [call.pk]
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_words_are_matched_by_their_stem_on_postgresql(dana, other):
    assert _found("booking") == [dana]  # "book" was said
    assert _found("colours") == [dana]


@pytest.mark.postgres
def test_the_search_document_follows_the_transcript_and_summaries(dana):
    assert "'balayag'" in _document(dana)

    Call.objects.filter(pk=dana.pk).update(transcript="User: Only a trim, please.")

    assert "'trim'" in _document(dana)
    assert "'balayag'" not in _document(dana)
    assert "'bridal'" in _document(dana)  # VAPI's summary is still there


@pytest.mark.postgres
def test_a_purge_takes_the_words_out_of_the_search(dana):
    Call.objects.filter(pk=dana.pk).update(transcript="", summary="", vapi_summary="")

    assert _document(dana) == ""
    assert _found("balayage") == []


@pytest.mark.postgres
def test_a_status_change_leaves_the_document_alone(dana):
    before = _document(dana)
    Call.objects.filter(pk=dana.pk).update(status=Call.Status.ENDED, has_hang=True)

    assert _document(dana) == before


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("balayage", "calls_call_search_document_gin"),
        ("0187", "calls_call_caller_number_trgm"),
    ],
)
def test_searches_can_use_their_indexes(dana, other, term, index):
    # A handful of rows are cheaper to scan, in any order: leave the planner only
    # index conditions to see the index serve the very filter the admin runs.
    calls = search.search_calls(Call.objects.all(), term, leads=Lead.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = calls.order_by().explain()

    assert f"Bitmap Index Scan on {index}" in plan
