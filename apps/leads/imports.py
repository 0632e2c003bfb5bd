"""Importing leads from CSV: validate every row, dedupe, merge into what staff entered."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from apps.businesses.models import Business
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.leads import csv_format
from apps.leads import services as lead_services
from apps.leads.csv_format import CsvRow
from apps.leads.models import Lead

CONSENTS = ("has_sms_consent", "has_email_consent", "has_marketing_consent")
_LIMITS = {"name": 120, "email": 254, "interest": 200}  # the columns' lengths
_PROGRESS_EVERY = 100  # rows; a line per row would flood an operator's log


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did (or would do) to a business's leads."""

    business: Business
    partial: bool = False
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0  # existing leads a row was merged into
    duplicates: int = 0  # rows merged into a lead an earlier row of the file touched
    leads_merged: int = 0  # existing leads folded together because a row linked them
    rejected: list[RejectedRow] = field(default_factory=list)
    committed: bool = False

    @property
    def accepted(self) -> int:
        return self.rows - len(self.rejected)

    def summary(self) -> str:
        counts = [
            f"{self.created} lead(s) created",
            f"{self.updated} existing lead(s) updated",
            f"{self.duplicates} duplicate row(s) merged",
            f"{len(self.rejected)} row(s) rejected",
        ]
        if self.leads_merged:
            counts.insert(3, f"{self.leads_merged} pair(s) of leads merged into one")
        counts = ", ".join(counts)
        where = f"into {self.business.slug}"
        if self.dry_run:
            return (
                f"Would import {self.accepted} of {self.rows} row(s) {where}: "
                f"{counts} (dry run, nothing written)."
            )
        if not self.committed:
            return (
                f"Imported nothing {where}: {len(self.rejected)} of {self.rows} row(s) "
                f"rejected (fix them, or use --partial to import the other {self.accepted})."
            )
        return f"Imported {self.accepted} of {self.rows} row(s) {where}: {counts}."


@dataclass(frozen=True)
class LeadFields:
    """One row's values, validated and normalised."""

    name: str
    phone: str
    email: str
    status: str
    score: int | None
    interest: str
    notes: str
    consents: dict[str, bool | None]


def import_leads(
    business: Business,
    rows_or_file: TextIO | Iterable[CsvRow],
    *,
    partial: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or merge one lead per valid row, in one transaction.

    A rejected row rolls everything back unless `partial`; a dry run always rolls
    back. Re-importing the same file changes nothing more. Raises LeadCsvError
    for a file without a usable header.
    """
    rows = _rows(rows_or_file)
    report = ImportReport(business=business, partial=partial, dry_run=dry_run)
    report.rows = len(rows)
    touched: set[int] = set()
    today = business.local_now().date().isoformat()
    with transaction.atomic():
        for done, row in enumerate(rows, start=1):
            try:
                fields = clean_row(row.values)
            except ValidationError as exc:
                report.rejected.append(RejectedRow(row.line, "; ".join(exc.messages)))
            else:
                _import_one(
                    business, fields, report=report, touched=touched, today=today
                )
            if progress is not None and (
                done % _PROGRESS_EVERY == 0 or done == len(rows)
            ):
                progress(done, len(rows))
        report.committed = not dry_run and (partial or not report.rejected)
        if not report.committed:
            transaction.set_rollback(True)
    return report


def clean_row(values: dict[str, str]) -> LeadFields:
    """Validate and normalise one row's cells; ValidationError lists every problem."""
    problems: list[str] = []

    def check(parse, *args):
        try:
            return parse(*args)
        except ValueError as exc:
            problems.append(str(exc))
            return None

    name = " ".join(values.get("name", "").split())
    if not name and not values.get("phone", "").strip():
        problems.append("missing name and phone: a row needs at least one")
    fields = LeadFields(
        name=name,
        phone=check(_phone, values.get("phone", "")) or "",
        email=check(_email, values.get("email", "")) or "",
        status=check(_status, values.get("status", "")) or "",
        score=check(_score, values.get("score", "")),
        interest=values.get("interest", "").strip(),
        notes=values.get("notes", "").strip(),
        consents={c: check(_flag, c, values.get(c, "")) for c in CONSENTS},
    )
    for column, limit in _LIMITS.items():
        if len(getattr(fields, column)) > limit:
            problems.append(f"{column} is longer than {limit} characters")
    if problems:
        raise ValidationError(problems)
    return fields


def _rows(rows_or_file: TextIO | Iterable[CsvRow]) -> list[CsvRow]:
    if hasattr(rows_or_file, "read"):
        return list(csv_format.read_leads(rows_or_file))
    return list(rows_or_file)


def _phone(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return normalize_phone(raw)
    except InvalidPhoneError:
        raise ValueError(f"bad phone {raw!r}: not a possible phone number") from None


def _email(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        validate_email(raw.strip())
    except ValidationError:
        raise ValueError(f"bad email {raw!r}: not an email address") from None
    return raw.strip()


def _status(raw: str) -> str:
    if not raw.strip():
        return ""
    by_word = {v: v for v in Lead.Status.values} | {
        str(label).lower(): value for value, label in Lead.Status.choices
    }
    status = by_word.get(raw.strip().lower())
    if status is None:
        raise ValueError(
            f"unknown status {raw!r}: use one of {', '.join(Lead.Status.values)}"
        )
    return status


def _score(raw: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit() or int(raw) > 100:
        raise ValueError(f"bad score {raw!r}: use a whole number from 0 to 100")
    return int(raw)


def _flag(column: str, raw: str) -> bool | None:
    try:
        return csv_format.parse_flag(raw)
    except ValueError:
        raise ValueError(f"bad {column} {raw!r}: use yes or no") from None


def _import_one(
    business: Business,
    fields: LeadFields,
    *,
    report: ImportReport,
    touched: set[int],
    today: str,
) -> None:
    lead = _existing_lead(business, fields, report=report)
    if lead is None:
        lead = _new_lead(business, fields)
        report.created += 1
    else:
        _merge_into(lead, fields, today=today)
        if lead.pk in touched:
            report.duplicates += 1
        else:
            report.updated += 1
    lead.save()
    touched.add(lead.pk)


def _existing_lead(
    business: Business, fields: LeadFields, *, report: ImportReport
) -> Lead | None:
    """The lead with the row's phone, else with its email (and no other phone).

    When the phone and the email each find a different lead, the row says they are
    one person: the email's lead is folded into the phone's.
    """
    leads = Lead.objects.for_business(business).select_for_update()
    by_phone = leads.filter(phone=fields.phone).first() if fields.phone else None
    by_email = None
    if fields.email:
        same_person = Q(phone="") | Q(phone=fields.phone) if fields.phone else Q()
        by_email = (
            leads.filter(same_person, email__iexact=fields.email)
            .order_by("created_at", "pk")
            .first()
        )
    if by_phone and by_email and by_phone.pk != by_email.pk:
        report.leads_merged += 1
        return lead_services.merge_leads(by_phone, duplicates=[by_email])
    return by_phone or by_email


def _new_lead(business: Business, fields: LeadFields) -> Lead:
    lead = Lead(
        business=business,
        source=Lead.Source.IMPORT,
        name=fields.name,
        phone=fields.phone,
        email=fields.email,
        status=fields.status or Lead.Status.NEW,
        score=fields.score,
        interest=fields.interest,
        notes=fields.notes,
    )
    for consent, value in fields.consents.items():
        if value is not None:
            setattr(lead, consent, value)
    return lead


def _merge_into(lead: Lead, fields: LeadFields, *, today: str) -> None:
    """Fill blanks, never overwrite staff's values (differences go in the notes),
    never move the status backwards, and honour an opt-out."""
    differences = []
    for column in ("name", "email", "interest"):
        new, current = getattr(fields, column), getattr(lead, column)
        if new and not current:
            setattr(lead, column, new)
        elif new and new.casefold() != current.casefold():
            differences.append(f"{column} {new}")
    if fields.phone and not lead.phone:
        lead.phone = fields.phone
    if lead.score is None:
        lead.score = fields.score
    current_rank = lead_services.STATUS_RANK.get(lead.status)
    target_rank = lead_services.STATUS_RANK.get(fields.status)
    if target_rank is not None and (current_rank is None or current_rank < target_rank):
        lead.status = fields.status
    for consent, value in fields.consents.items():
        if value is False:
            setattr(lead, consent, False)  # an opt-out anywhere wins
    if fields.notes:
        _append_note(lead, fields.notes, key=fields.notes)
    if differences:
        text = "imported with a different " + ", ".join(differences)
        _append_note(lead, f"[{today}] {text}", key=text)


def _append_note(lead: Lead, entry: str, *, key: str) -> None:
    if key in lead.notes:
        return  # importing the same file again adds nothing
    lead.notes = f"{lead.notes.rstrip()}\n{entry}".strip()
