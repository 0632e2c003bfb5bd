"""Leads as CSV: the one column layout shared by the admin export and the commands."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
# A file must carry at least one of these to say who each row is.
IDENTIFYING_COLUMNS = ("name", "phone", "email")
# Spreadsheet apps run a cell starting with one of these as a formula (CSV
# injection); OWASP adds tab and carriage return, which some strip before looking.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}


class LeadCsvError(ValueError):
    """The file as a whole can't be read as leads (no header, no identifying column)."""


@dataclass(frozen=True)
class CsvRow:
    line: int  # where the record starts in the file, counting the header as line 1
    values: dict[str, str]  # every known column, stripped; "" when absent


def write_leads(leads: Iterable[Lead], out: TextIO) -> int:
    """Write a header and one row per lead; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for lead in leads:
        writer.writerow([_cell(getattr(lead, column)) for column in COLUMNS])
        count += 1
    return count


def read_leads(source: TextIO) -> Iterator[CsvRow]:
    """The rows of a leads CSV in write_leads' layout, cells undone from their export form.

    Headers are matched loosely ("Phone ", "SMS consent" → has_sms_consent); unknown
    columns are ignored; blank lines are skipped. Raises LeadCsvError for a file
    with no usable header.
    """
    reader = csv.reader(source)
    columns = _header(reader)
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        values = dict.fromkeys(COLUMNS, "")
        for column, cell in zip(columns, cells, strict=False):
            if column in values:
                values[column] = _uncell(cell)
        yield CsvRow(line=line, values=values)


def parse_flag(text: str) -> bool | None:
    """'yes'/'no' as written by write_leads (and true/false, 1/0); None for blank.

    Raises ValueError for anything else.
    """
    word = text.strip().lower()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes or no")


def _header(reader) -> list[str]:
    for cells in reader:
        if any(cell.strip() for cell in cells):
            columns = [_column(cell) for cell in cells]
            if not set(columns) & set(IDENTIFYING_COLUMNS):
                raise LeadCsvError(
                    "The header names none of the columns name, phone or email; "
                    f"expected a header like: {','.join(COLUMNS)}"
                )
            return columns
    raise LeadCsvError("The file is empty: expected a header row.")


def _column(title: str) -> str:
    column = "_".join(title.strip().lstrip("\ufeff").lower().split())
    if column.endswith("consent") and not column.startswith("has_"):
        column = f"has_{column}"  # "SMS consent" as the admin labels it
    return column


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text[:1] in _FORMULA_STARTS and not _is_phone(text) else text


def _uncell(cell: str) -> str:
    text = cell.strip()
    if text[:1] == "'" and text[1:2] in _FORMULA_STARTS:
        # The quote _cell added to defuse a formula; stripped like any other cell.
        return text[1:].strip()
    return text


def _is_phone(text: str) -> bool:
    return text.startswith("+") and text[1:].isdigit()
