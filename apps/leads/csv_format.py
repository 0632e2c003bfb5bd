"""Leads as CSV: the one column layout shared by the admin export and the commands."""

import csv
from collections.abc import Iterable
from typing import TextIO

from apps.leads.models import Lead

COLUMNS = (
    "name",
    "phone",
    "email",
    "status",
    "score",
    "source",
    "interest",
    "notes",
    "has_sms_consent",
    "has_email_consent",
    "has_marketing_consent",
    "created_at",
)


def write_leads(leads: Iterable[Lead], out: TextIO) -> int:
    """Write a header and one row per lead; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for lead in leads:
        writer.writerow([_cell(getattr(lead, column)) for column in COLUMNS])
        count += 1
    return count


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # Spreadsheet apps run cells starting with these as formulas (CSV injection).
    return (
        f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _is_phone(text) else text
    )


def _is_phone(text: str) -> bool:
    return text.startswith("+") and text[1:].isdigit()
