"""The call list's search box: callers by name or number, calls by what was said.

On PostgreSQL words are matched against `calls_call.search_document`, a tsvector of
the transcript and both summaries that a trigger keeps current and a GIN index serves
(migration 0007 says why it is a stored column). SQLite, used in development and
tests, looks for the words as typed. A name is looked up among leads first (their
trigram index), so the calls query never joins leads to compare every row's name.
"""

import re

from django.contrib.postgres.search import (
    SearchQuery,
    SearchVectorExact,
    SearchVectorField,
)
from django.db import connections
from django.db.models import Expression, Q, QuerySet

from apps.core.phones import InvalidPhoneError, normalize_phone

# Must stay equal to the trigger's configuration in migration 0007.
SEARCH_CONFIG = "english"
SEARCH_COLUMN = "search_document"
# What people type between the digits of a phone number.
PHONE_PUNCTUATION = re.compile(r"[\s()+.\-]")
# Up to this many leads, their ids go into the query, where PostgreSQL can use the
# lead_id index beside the text index. More, and the name says little: a subquery.
NAME_MATCH_LIMIT = 500


class SearchDocument(Expression):
    """The hidden search_document column of the call table (PostgreSQL only)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(SEARCH_COLUMN)}", []


def search_calls(calls: QuerySet, term: str, *, leads: QuerySet) -> QuerySet:
    """Calls among `calls` matching `term`: a phone number in any format, part of
    one, the VAPI call id, the caller's name (a lead among `leads`) or words said."""
    term = " ".join(term.split())
    if not term:
        return calls
    digits = PHONE_PUNCTUATION.sub("", term)
    if digits.isdigit():
        return calls.filter(_numbered(term, digits))
    postgres = connections[calls.db].vendor == "postgresql"
    said = _said_postgres(term) if postgres else _said_anywhere(term)
    return calls.filter(
        Q(vapi_call_id=term) | said | _named(term, leads, listed=postgres)
    )


def _numbered(term: str, digits: str) -> Q:
    # Part of a number, or all of it as typed (calls store E.164, "+15125550187");
    # a number typed with an international prefix ("00 44 ...") only normalises.
    numbered = Q(caller_number__contains=digits)
    try:
        return numbered | Q(caller_number=normalize_phone(term))
    except InvalidPhoneError:
        return numbered


def _said_postgres(term: str) -> Q:
    query = SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
    return Q(SearchVectorExact(SearchDocument(), query))


def _said_anywhere(term: str) -> Q:
    return (
        Q(transcript__icontains=term)
        | Q(summary__icontains=term)
        | Q(vapi_summary__icontains=term)
    )


def _named(term: str, leads: QuerySet, *, listed: bool) -> Q:
    named = leads.filter(name__icontains=term).order_by().values("pk")
    if not listed:
        return Q(lead__in=named)
    ids = list(named.values_list("pk", flat=True)[: NAME_MATCH_LIMIT + 1])
    if len(ids) > NAME_MATCH_LIMIT:
        return Q(lead__in=named)
    return Q(lead_id__in=ids)
