"""Retention and erasure: old call data purged per business, one caller erased everywhere.

Lives in calls because calls is the app allowed to reach leads, appointments and
notifications (STYLE.md's dependency direction).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.html import escape

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.core.phones import format_phone, normalize_phone
from apps.leads.models import CallbackRequest, Lead
from apps.notifications.models import Notification

Progress = Callable[[int, int], None]

PURGED = {"purged": True}  # what a purged raw payload, answer or tool argument becomes
PURGED_TEXT = "[purged]"
ERASED_TEXT = "[erased]"
BATCH_SIZE = 1000
# Calls and events that reached no business (an unknown number) keep the default.
UNASSIGNED_RETENTION_DAYS = Business._meta.get_field("data_retention_days").default
# Still to be delivered: their bodies are needed, whatever their age.
_IN_FLIGHT = (Notification.Status.QUEUED, Notification.Status.SENDING)

# --- Retention ---


@dataclass
class PurgeTarget:
    """One table's rows past retention in one business, and what they become."""

    label: str
    rows: QuerySet
    changes: dict


@dataclass
class PurgeReport:
    """How many rows of each table a purge blanked (or would), per business."""

    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)  # one line per business
    businesses: int = 0

    def add(self, label: str, count: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + count

    def summary(self) -> str:
        verb = "Would purge" if self.dry_run else "Purged"
        counts = ", ".join(f"{n} {label}" for label, n in self.counts.items())
        return (
            f"{verb} {counts or 'nothing'} past retention in "
            f"{self.businesses} business(es); counts, durations, costs and links kept."
        )


def purge_call_data(
    *,
    business: Business | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> PurgeReport:
    """Blank transcripts, recordings, raw payloads, tool arguments and sent notification
    bodies older than each business's retention, in batches. Rows, counts and links
    stay. Idempotent: purged rows are not matched again."""
    now = now or timezone.now()
    report = PurgeReport(dry_run=dry_run)
    plans = _purge_plans(business, now=now)
    totals = [[target.rows.count() for target in targets] for _, targets in plans]
    total, done = sum(map(sum, totals)), 0
    for (heading, targets), counts in zip(plans, totals, strict=True):
        report.businesses += heading is not None
        if heading is not None or any(counts):
            line = ", ".join(
                f"{n} {t.label}" for t, n in zip(targets, counts, strict=True)
            )
            report.details.append(f"{heading or 'calls to no business'}: {line}")
        for target, count in zip(targets, counts, strict=True):
            report.add(target.label, count)
            if not dry_run and count:
                done = _update_in_batches(
                    target,
                    batch_size=batch_size,
                    done=done,
                    total=total,
                    progress=progress,
                )
    return report


def _purge_plans(
    business: Business | None, *, now: dt.datetime
) -> list[tuple[str | None, list[PurgeTarget]]]:
    businesses = [business] if business else Business.objects.order_by("slug")
    plans = []
    for each in businesses:
        cutoff = now - dt.timedelta(days=each.data_retention_days)
        heading = (
            f"{each.slug} ({each.data_retention_days} days, before {cutoff:%Y-%m-%d})"
        )
        plans.append((heading, _business_targets(each, cutoff=cutoff, now=now)))
    if business is None:
        cutoff = now - dt.timedelta(days=UNASSIGNED_RETENTION_DAYS)
        plans.append((None, _unassigned_targets(cutoff=cutoff, now=now)))
    return plans


def _business_targets(
    business: Business, *, cutoff: dt.datetime, now: dt.datetime
) -> list[PurgeTarget]:
    calls = Call.objects.filter(business=business)
    # An event whose processing failed before its call existed has only the VAPI id.
    events = Q(call__business=business) | Q(
        call__isnull=True, vapi_call_id__in=calls.values("vapi_call_id")
    )
    tools = Q(business=business) | Q(business__isnull=True, call__business=business)
    return _targets(
        calls=calls,
        events=WebhookEvent.objects.filter(events),
        tools=ToolInvocation.objects.filter(tools),
        notifications=Notification.objects.filter(business=business),
        cutoff=cutoff,
        now=now,
    )


def _unassigned_targets(*, cutoff: dt.datetime, now: dt.datetime) -> list[PurgeTarget]:
    known = Call.objects.filter(business__isnull=False).values("vapi_call_id")
    events = Q(call__isnull=False, call__business__isnull=True) | (
        Q(call__isnull=True) & ~Q(vapi_call_id__in=known)
    )
    tools = Q(business__isnull=True) & (
        Q(call__isnull=True) | Q(call__business__isnull=True)
    )
    return _targets(
        calls=Call.objects.filter(business__isnull=True),
        events=WebhookEvent.objects.filter(events),
        tools=ToolInvocation.objects.filter(tools),
        notifications=Notification.objects.none(),
        cutoff=cutoff,
        now=now,
    )


def _targets(
    *, calls, events, tools, notifications, cutoff: dt.datetime, now: dt.datetime
) -> list[PurgeTarget]:
    # A call's age is when it started; one VAPI never reported started is as old
    # as its row.
    old_call = Q(started_at__lt=cutoff) | Q(
        started_at__isnull=True, created_at__lt=cutoff
    )
    has_content = (
        ~Q(transcript="")
        | ~Q(messages=[])
        | ~Q(recording_url="")
        | ~Q(stereo_recording_url="")
    )
    return [
        PurgeTarget(
            "call(s)",
            calls.filter(old_call).filter(has_content),
            {
                "transcript": "",
                "messages": [],
                "recording_url": "",
                "stereo_recording_url": "",
                "updated_at": now,
            },
        ),
        PurgeTarget(
            "webhook event(s)",
            events.filter(received_at__lt=cutoff).exclude(payload=PURGED),
            {"payload": PURGED, "response": PURGED},
        ),
        PurgeTarget(
            "tool invocation(s)",
            tools.filter(created_at__lt=cutoff).exclude(arguments=PURGED),
            {"arguments": PURGED, "result": ""},
        ),
        PurgeTarget(
            "notification(s)",
            notifications.filter(created_at__lt=cutoff)
            .exclude(status__in=_IN_FLIGHT)
            .exclude(body=PURGED_TEXT),
            {
                "subject": "",
                "body": PURGED_TEXT,
                "html_body": "",
                "attachments": [],
                "updated_at": now,
            },
        ),
    ]


def _update_in_batches(
    target: PurgeTarget,
    *,
    batch_size: int,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    """Blank the target's rows batch by batch, each batch its own short transaction."""
    last_pk = 0
    while True:
        with transaction.atomic():
            pks = list(
                target.rows.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not pks:
                return done
            target.rows.model.objects.filter(pk__in=pks).update(**target.changes)
        last_pk, done = pks[-1], done + len(pks)
        if progress is not None:
            progress(done, total)


# --- Erasure ---


class ErasureError(Exception):
    pass


_TABLES = (
    "leads",
    "callback requests",
    "calls",
    "appointments",
    "tool invocations",
    "webhook events",
    "notifications",
)


@dataclass
class ErasureReport:
    """What erasing one caller did (or would do), table by table."""

    phone: str
    scope: str
    dry_run: bool = False
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    redacted: dict[str, int] = field(default_factory=dict)
    upcoming_appointments: int = 0

    def lines(self) -> list[str]:
        """One line per table and outcome, for the operator."""
        outcomes = (
            (self.deleted, "deleted"),
            (self.anonymised, "anonymised (row kept)"),
            (self.redacted, "redacted (mentions of them blanked)"),
        )
        return [
            f"{table:<18} {counts[table]:>6} {word}"
            for table in _TABLES
            for counts, word in outcomes
            if table in counts
        ]

    def summary(self) -> str:
        verb = "Would erase" if self.dry_run else "Erased"
        deleted = sum(self.deleted.values())
        kept = sum(self.anonymised.values())
        text = (
            f"{verb} {self.phone} from {self.scope}: {deleted} row(s) deleted, {kept} "
            f"anonymised, {sum(self.redacted.values())} redacted."
        )
        if self.upcoming_appointments:
            text += (
                f" {self.upcoming_appointments} upcoming appointment(s) stay booked "
                "without a name: cancel them in the admin if they are off."
            )
        return text


@dataclass
class _Person:
    """Everything on file for one caller, as ids gathered before anything changes."""

    phone: str
    lead_ids: list[int]
    call_ids: list[int]
    names: list[str]
    emails: list[str]


def erase_caller(
    phone: str, *, business: Business | None = None, dry_run: bool = False
) -> ErasureReport:
    """Delete one caller's leads, callback requests, notifications, tool invocations
    and raw events; anonymise their calls and appointments (kept for the business's
    counts and records). Raises InvalidPhoneError, or ErasureError when nothing matches."""
    phone = normalize_phone(phone)
    scope = Q(business=business) if business else Q()
    report = ErasureReport(
        phone=phone,
        scope=business.slug if business else "every business",
        dry_run=dry_run,
    )
    with transaction.atomic():
        person = _find_person(phone, scope)
        rows = _erasure_rows(person, scope)
        if not any(qs.exists() for qs in rows.values()):
            where = f" at {business.slug}" if business else ""
            raise ErasureError(f"Nothing on file for {phone}{where}; nothing erased.")
        report.upcoming_appointments = (
            rows["appointments"]
            .filter(start_at__gt=timezone.now(), status__in=Appointment.ACTIVE_STATUSES)
            .count()
        )
        _erase(person, rows, report=report, dry_run=dry_run)
    return report


def _find_person(phone: str, scope: Q) -> _Person:
    by_phone = Lead.objects.filter(scope, phone=phone)
    emails = sorted(set(by_phone.exclude(email="").values_list("email", flat=True)))
    same_person = Q(phone=phone)
    if emails:
        # A lead with no phone but the same email, at a business where the caller
        # is known, is the same person entered by hand.
        same_email = Q()
        for email in emails:
            same_email |= Q(email__iexact=email)
        same_person |= (
            Q(phone="") & same_email & Q(business__in=by_phone.values("business"))
        )
    leads = list(Lead.objects.filter(scope, same_person).values_list("pk", "name"))
    lead_ids = [pk for pk, _ in leads]
    calls = Call.objects.filter(scope, Q(caller_number=phone) | Q(lead_id__in=lead_ids))
    callback_names = CallbackRequest.objects.filter(scope, callback_number=phone)
    names = {name for _, name in leads} | set(
        callback_names.values_list("name", flat=True)
    )
    return _Person(
        phone=phone,
        lead_ids=lead_ids,
        call_ids=list(calls.values_list("pk", flat=True)),
        names=sorted(n for n in names if len(n.strip()) > 2),
        emails=emails,
    )


def _erasure_rows(person: _Person, scope: Q) -> dict[str, QuerySet]:
    """The caller's rows in each table, in the order they are erased."""
    leads, calls = person.lead_ids, person.call_ids
    vapi_ids = Call.objects.filter(pk__in=calls).values_list("vapi_call_id", flat=True)
    to_them = Q(recipient=person.phone)
    for email in person.emails:
        to_them |= Q(recipient__iexact=email)
    appointments = Appointment.objects.filter(scope, lead_id__in=leads)
    notifications = Notification.objects.filter(
        scope,
        to_them
        | Q(lead_id__in=leads)
        | Q(call_id__in=calls)
        | Q(appointment__in=appointments),
    )
    return {
        "notifications": notifications,
        "mentions": _mentions(person, scope).exclude(pk__in=notifications.values("pk")),
        "tool invocations": ToolInvocation.objects.filter(call_id__in=calls),
        "webhook events": WebhookEvent.objects.filter(
            Q(call_id__in=calls) | Q(vapi_call_id__in=list(vapi_ids))
        ),
        "callback requests": CallbackRequest.objects.filter(
            scope,
            Q(lead_id__in=leads)
            | Q(callback_number=person.phone)
            | Q(call_id__in=calls),
        ),
        "appointments": appointments,
        "calls": Call.objects.filter(pk__in=calls),
        "leads": Lead.objects.filter(pk__in=leads),
    }


def _mentions(person: _Person, scope: Q) -> QuerySet:
    """Other notifications (staff digests) that name the caller's number."""
    mentioned = Q()
    for needle in {person.phone, format_phone(person.phone)}:
        for column in ("subject", "body", "html_body"):
            mentioned |= Q(**{f"{column}__contains": needle})
    return Notification.objects.filter(scope, mentioned)


def _erase(
    person: _Person, rows: dict[str, QuerySet], *, report: ErasureReport, dry_run: bool
) -> None:
    now = timezone.now()
    for table, queryset in rows.items():
        if table == "mentions":
            report.redacted["notifications"] = (
                queryset.count() if dry_run else _redact(queryset, person)
            )
        elif table in ("appointments", "calls"):
            changes = _CALL_ERASURE if table == "calls" else _APPOINTMENT_ERASURE
            report.anonymised[table] = (
                queryset.count()
                if dry_run
                else queryset.update(**changes, updated_at=now)
            )
        else:
            report.deleted[table] = (
                queryset.count() if dry_run else _delete_rows(queryset)
            )


def _delete_rows(queryset: QuerySet) -> int:
    # Django's total would also count rows that cascade; the report is per table.
    _, per_model = queryset.delete()
    return per_model.get(queryset.model._meta.label, 0)


_CALL_ERASURE = {
    "lead": None,
    "caller_number": "",
    "transcript": "",
    "messages": [],
    "recording_url": "",
    "stereo_recording_url": "",
    "vapi_summary": "",
    "vapi_structured_data": {},
    "summary": "",
    "analysis": {},
    "analysis_error": "",
    # Nothing left to analyse: a pending analysis would only see an empty call.
    "analysis_status": Case(
        When(
            analysis_status=Call.AnalysisStatus.PENDING,
            then=Value(Call.AnalysisStatus.SKIPPED),
        ),
        default=F("analysis_status"),
    ),
}
# The appointment row stays for the business's records (the provider's time, what was
# done, no-shows); only who it was for goes.
_APPOINTMENT_ERASURE = {"lead": None, "notes": ""}


def _redact(notifications: QuerySet, person: _Person) -> int:
    needles = {person.phone, format_phone(person.phone), *person.emails}
    needles |= {name for name in person.names} | {escape(n) for n in person.names}
    needles = sorted(needles, key=len, reverse=True)  # "Dana Whitfield" before "Dana"
    count = 0
    for notification in notifications:
        for column in ("subject", "body", "html_body"):
            text = getattr(notification, column)
            for needle in needles:
                text = text.replace(needle, ERASED_TEXT)
            setattr(notification, column, text)
        notification.save(update_fields=["subject", "body", "html_body", "updated_at"])
        count += 1
    return count
