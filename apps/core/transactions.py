"""Transaction helpers for the paths where every database round trip is felt."""

from contextlib import AbstractContextManager, nullcontext

from django.db import connection, transaction


def savepoint_if_nested() -> AbstractContextManager:
    """Guard a write that may fail (a unique key, say) without paying for a savepoint.

    Inside a transaction a failed statement breaks it unless a savepoint catches it;
    in autocommit mode the statement is its own transaction and nothing needs
    rolling back, so the savepoint's two round trips are saved.
    """
    return transaction.atomic() if connection.in_atomic_block else nullcontext()
