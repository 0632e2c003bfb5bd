"""Erasure: one caller's data deleted or anonymised in every table."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.html import escape

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.core.phones import format_phone, normalize_phone
from apps.leads.models import CallbackRequest, Lead
from apps.notifications.models import Notification, SmsConsent, SmsConsentChange
from apps.privacy import vapi_deletion
from apps.texting.models import Conversation, InboundText, RescheduleOffer

ERASED_TEXT = "[erased]"


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
    "conversations",
    "inbound texts",
    "text offers",
    "text consents",
)
# Most callers never texted: these tables are reported only when they held something.
_TEXTING_TABLES = frozenset(_TABLES[-4:])
# A quoted text shorter than this ("ok", "C") says nothing about the person and
# would blank the same letters all over a staff digest.
_MIN_QUOTED_TEXT = 4


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
    vapi_calls: int = 0  # calls whose copy VAPI holds, being (or to be) deleted there
    vapi_configured: bool = True

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
        if self.vapi_calls:
            text += " " + self._vapi_outcome()
        if self.anonymised.get("text consents"):
            text += (
                " The number's text opt-out is kept, without its reasons, so it is "
                "never texted again."
            )
        if self.upcoming_appointments:
            text += (
                f" {self.upcoming_appointments} upcoming appointment(s) stay booked "
                "without a name: cancel them in the admin if they are off."
            )
        return text

    def _vapi_outcome(self) -> str:
        calls = f"{self.vapi_calls} call(s)"
        if not self.vapi_configured:
            return f"VAPI keeps its copy of {calls} until VAPI_API_KEY is set."
        if self.dry_run:
            return f"VAPI's copy of {calls} would be deleted."
        return f"VAPI's copy of {calls} is being deleted."


@dataclass
class _Person:
    """Everything on file for one caller, as ids gathered before anything changes."""

    phone: str
    lead_ids: list[int]
    call_ids: list[int]
    names: list[str]
    emails: list[str]
    texts: list[str]  # what they texted us, quoted in staff alerts


def erase_caller(
    phone: str, *, business: Business | None = None, dry_run: bool = False
) -> ErasureReport:
    """Delete one caller's leads, callback requests, notifications, tool invocations
    and raw events; anonymise their calls and appointments (kept for the business's
    counts and records), and have VAPI's copy of the calls deleted after the commit.
    Raises InvalidPhoneError, or ErasureError when nothing matches."""
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
        # After the commit: VAPI keeps its own recording and transcript of each call.
        report.vapi_calls = (
            vapi_deletion.held_at_vapi(person.call_ids).count()
            if dry_run
            else vapi_deletion.request_vapi_deletion(person.call_ids)
        )
        report.vapi_configured = vapi_deletion.is_configured()
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
    texts = {
        body.strip()
        for body in InboundText.objects.filter(
            scope, Q(from_number=phone) | Q(conversation__lead_id__in=lead_ids)
        ).values_list("body", flat=True)
    }
    return _Person(
        phone=phone,
        lead_ids=lead_ids,
        call_ids=list(calls.values_list("pk", flat=True)),
        names=sorted(n for n in names if len(n.strip()) > 2),
        emails=emails,
        texts=sorted(t for t in texts if len(t) >= _MIN_QUOTED_TEXT),
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
    conversations = Conversation.objects.filter(
        scope, Q(phone=person.phone) | Q(lead_id__in=leads)
    )
    return {
        "notifications": notifications,
        "mentions": _mentions(person, scope).exclude(pk__in=notifications.values("pk")),
        # Offers and texts go before their conversations, so each is counted as its own.
        "text offers": RescheduleOffer.objects.filter(conversation__in=conversations),
        "inbound texts": InboundText.objects.filter(
            Q(conversation__in=conversations) | Q(scope, from_number=person.phone)
        ),
        "conversations": conversations,
        "text consents": _consents(person, scope),
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


def _consents(person: _Person, scope: Q) -> QuerySet:
    """The number's text consent records still holding more than the bare opt-out:
    an opt-in (absence means the same, so the row goes) or reasons not yet erased."""
    unerased = SmsConsentChange.objects.filter(consent=OuterRef("pk")).exclude(
        reason=ERASED_TEXT
    )
    return SmsConsent.objects.filter(scope, phone=person.phone).filter(
        ~Q(status=SmsConsent.Status.OPTED_OUT) | Exists(unerased)
    )


def _erase_consents(consents: QuerySet, report: ErasureReport, dry_run: bool) -> None:
    """Opt-outs stay as the compliance record that the number must not be texted
    (status, source, time and staff member kept; the reasons, which may quote the
    customer or what they said on the phone, go). Every other consent row goes."""
    opted_out = Q(status=SmsConsent.Status.OPTED_OUT)
    kept = consents.filter(opted_out)
    report.anonymised["text consents"] = kept.count()
    if dry_run:
        report.deleted["text consents"] = consents.exclude(opted_out).count()
        return
    SmsConsentChange.objects.filter(consent__in=list(kept)).update(reason=ERASED_TEXT)
    report.deleted["text consents"] = _delete_rows(consents.exclude(opted_out))


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
        if table == "text consents":
            _erase_consents(queryset, report, dry_run)
        elif table == "mentions":
            report.redacted["notifications"] = (
                queryset.count() if dry_run else _redact(queryset, person)
            )
        elif table in ("appointments", "calls"):
            changes = (
                {**_CALL_ERASURE, "purged_at": now}
                if table == "calls"
                else _APPOINTMENT_ERASURE
            )
            report.anonymised[table] = (
                queryset.count()
                if dry_run
                else queryset.update(**changes, updated_at=now)
            )
        else:
            report.deleted[table] = (
                queryset.count() if dry_run else _delete_rows(queryset)
            )
    for counts in (report.deleted, report.anonymised):
        for table in _TEXTING_TABLES & counts.keys():
            if not counts[table]:
                del counts[table]


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
    # Staff see why the call is empty; the retention purge never matches it again.
    "purge_reason": Call.PurgeReason.ERASURE,
}
# The appointment row stays for the business's records (the provider's time, what was
# done, no-shows); only who it was for goes.
_APPOINTMENT_ERASURE = {"lead": None, "notes": ""}


def _redact(notifications: QuerySet, person: _Person) -> int:
    needles = {person.phone, format_phone(person.phone), *person.emails}
    needles |= {name for name in person.names} | {escape(n) for n in person.names}
    # Staff alerts quote the customer's texts (the first 200 characters).
    needles |= {t[:200] for t in person.texts} | {escape(t[:200]) for t in person.texts}
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
