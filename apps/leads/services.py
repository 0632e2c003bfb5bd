"""Creating and updating leads, and the callback requests Roxy takes for staff."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.links import absolute_url
from apps.core.phones import (
    InvalidPhoneError,
    e164_or_blank,
    format_phone,
    normalize_phone,
)
from apps.leads import callbacks
from apps.leads.models import CallbackRequest, Lead
from apps.notifications import services as notification_services

# How far along the pipeline each status is; a call never moves a lead backwards.
# LOST is not ranked: a lost lead who calls again is back in play.
STATUS_RANK = {
    Lead.Status.NEW: 0,
    Lead.Status.CONTACTED: 1,
    Lead.Status.QUALIFIED: 2,
    Lead.Status.BOOKED: 3,
    Lead.Status.WON: 4,
}


def get_or_create_lead_for_caller(business, *, phone: str) -> Lead | None:
    """The business's lead for this caller number, created if new; None for no usable number.

    Safe under concurrent calls: the unique (business, phone) constraint decides.
    """
    try:
        phone = normalize_phone(phone)
    except InvalidPhoneError:
        return None
    lead = Lead.objects.filter(business=business, phone=phone).first()
    if lead is not None:
        return lead
    try:
        with transaction.atomic():
            return Lead.objects.create(
                business=business, phone=phone, source=Lead.Source.INBOUND_CALL
            )
    except IntegrityError:
        return Lead.objects.get(business=business, phone=phone)


@transaction.atomic
def capture_lead(
    business,
    *,
    phone: str = "",
    name: str = "",
    email: str = "",
    interest: str = "",
    notes: str = "",
    urgency: str = "",
) -> Lead:
    """Upsert the caller's lead by phone (else email), merging into what staff entered.

    Blank fields are filled, differing ones are noted, notes are appended with a
    date stamp and the status never moves backwards. Safe to run concurrently.
    """

    def merge(lead: Lead) -> None:
        details = [notes.strip()]
        if interest.strip():
            details.append(f"interest: {interest.strip()}")
        if urgency.strip() and urgency.strip().lower() != "normal":
            details.append(f"urgency: {urgency.strip()}")
        details += _merge_contact(lead, name=name, email=email)
        if not lead.interest and interest.strip():
            lead.interest = interest.strip()[:200]
        _append_note(
            lead, "; ".join(d for d in details if d), business=business, author="Roxy"
        )
        _raise_status(lead, Lead.Status.NEW)

    return _upsert_lead(business, phone=phone, email=email, merge=merge)


@transaction.atomic
def record_booking_lead(
    business,
    *,
    phone: str,
    name: str = "",
    email: str = "",
    source: str = Lead.Source.INBOUND_CALL,
) -> Lead | None:
    """The lead for someone who just booked, merged and moved to booked; None without
    a phone. `source` is where a new lead came from (Roxy's call, or the front desk)."""
    if not e164_or_blank(phone):
        return None

    def merge(lead: Lead) -> None:
        notes = _merge_contact(lead, name=name, email=email)
        _append_note(lead, "; ".join(notes), business=business, author="Roxy")
        _raise_status(lead, Lead.Status.BOOKED)

    return _upsert_lead(business, phone=phone, email="", merge=merge, source=source)


@transaction.atomic
def record_callback_request(
    business,
    *,
    callback_number: str,
    message: str,
    name: str = "",
    urgency: str = CallbackRequest.Urgency.NORMAL,
    call=None,
) -> CallbackRequest:
    """Save a message for staff to call someone back, linked to their lead and due
    by its urgency (callbacks.due_at_for).

    Raises InvalidPhoneError for an unusable number.
    """
    number = normalize_phone(callback_number)
    lead = _upsert_lead(
        business,
        phone=number,
        email="",
        merge=lambda lead: _merge_contact(lead, name=name, email=""),
    )
    if urgency not in CallbackRequest.Urgency.values:
        urgency = CallbackRequest.Urgency.NORMAL
    callback = CallbackRequest.objects.create(
        business=business,
        lead=lead,
        call=call,
        name=name.strip()[:120] or lead.name,
        callback_number=number,
        message=message.strip(),
        urgency=urgency,
        due_at=callbacks.due_at_for(business, urgency=urgency, now=timezone.now()),
    )
    alert_staff_of_callback(callback)
    return callback


def alert_staff_of_callback(callback: CallbackRequest) -> list:
    """Queue the staff alert for a callback request: urgent ones by SMS and email,
    others by email. Idempotent per request; delivery is rung on commit."""
    urgent = callback.urgency == CallbackRequest.Urgency.URGENT
    return notification_services.notify_staff(
        callback.business,
        kind="callback_request",
        context={
            "caller_name": callback.name,
            "caller_phone": format_phone(callback.callback_number),
            "reason": callback.message,
            "admin_url": absolute_url(
                "admin:leads_callbackrequest_change", callback.pk
            ),
        },
        dedupe_key=f"callback_request:{callback.pk}",
        channels=("email", "sms") if urgent else ("email",),
        lead=callback.lead,
        call=callback.call,
    )


@transaction.atomic
def record_call_analysis(
    lead: Lead,
    *,
    name: str = "",
    email: str = "",
    interest: str = "",
    score: int | None = None,
    score_reason: str = "",
) -> Lead:
    """Apply what a call's analysis learnt: fill blank name and interest (staff's
    values stay), keep an email only the model heard as a suggestion (never a
    destination), set the score, and move a NEW lead scoring LEAD_QUALIFIED_SCORE or
    more to QUALIFIED. Returns the updated lead."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    blanks = {
        "name": " ".join(name.split())[:120],
        "interest": interest.strip()[:200],
    }
    changed = [f for f, value in blanks.items() if value and not getattr(lead, f)]
    for f in changed:
        setattr(lead, f, blanks[f])
    heard = email.strip().lower()
    if _is_email(heard) and heard != lead.email.casefold():
        lead.suggested_email = heard
        changed.append("suggested_email")
    if score is not None:
        lead.score = max(0, min(100, score))
        lead.score_reason = score_reason.strip()[:300]
        changed += ["score", "score_reason"]
        if lead.status == Lead.Status.NEW and score >= settings.LEAD_QUALIFIED_SCORE:
            lead.status = Lead.Status.QUALIFIED
            changed.append("status")
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])
    return lead


def confirm_suggested_emails(leads) -> int:
    """Staff confirmed the emails heard in calls: each becomes the lead's email (the
    one it replaces is noted); returns how many leads changed."""
    confirmed = 0
    for pk in leads.exclude(suggested_email="").values_list("pk", flat=True):
        with transaction.atomic():
            lead = (
                Lead.objects.select_for_update(of=("self",))
                .select_related("business")
                .get(pk=pk)
            )
            if not lead.suggested_email:
                continue
            if lead.email and lead.email.casefold() != lead.suggested_email:
                _append_note(lead, f"email was {lead.email}", business=lead.business)
            lead.email, lead.suggested_email = lead.suggested_email, ""
            lead.save(update_fields=["email", "suggested_email", "notes", "updated_at"])
            confirmed += 1
    return confirmed


def _upsert_lead(
    business,
    *,
    phone: str,
    email: str,
    merge: Callable[[Lead], object],
    source: str = Lead.Source.INBOUND_CALL,
) -> Lead:
    """The caller's lead (by phone, else by email; new if neither matches) with
    `merge` applied, saved. Must run inside a transaction.

    A new caller's lead is inserted once, complete, rather than created bare and
    then updated. Safe under concurrent calls: if another call inserted this
    number's lead first, the unique (business, phone) constraint refuses ours and
    `merge` is applied to theirs instead.
    """
    lead = _locked_lead(business, phone=phone, email=email, source=source)
    merge(lead)
    if lead.pk is not None or not lead.phone:
        lead.save()
        return lead
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
    except IntegrityError:
        theirs = (
            Lead.objects.select_for_update()
            .filter(business=business, phone=lead.phone)
            .first()
        )
        if theirs is None:
            raise  # not a concurrent insert of this number: some other constraint
        merge(theirs)
        theirs.save()
        return theirs
    return lead


def _locked_lead(business, *, phone: str, email: str, source: str) -> Lead:
    """The lead to merge into, row-locked; a new unsaved one when nothing matches
    (with the phone number, when it is one, which then wins over the email)."""
    e164 = e164_or_blank(phone)
    if e164:
        found = (
            Lead.objects.select_for_update()
            .filter(business=business, phone=e164)
            .first()
        )
        return found or Lead(business=business, phone=e164, source=source)
    if email.strip():
        found = (
            Lead.objects.for_business(business)
            .filter(email__iexact=email.strip())
            .order_by("created_at")
            .first()
        )
        if found is not None:
            return Lead.objects.select_for_update().get(pk=found.pk)
    return Lead(business=business, source=source)


def _merge_contact(lead: Lead, *, name: str, email: str) -> list[str]:
    """Fill blank name/email; return notes about values that differ from staff's."""
    notes = []
    name = " ".join(name.split())[:120]
    if name and not lead.name:
        lead.name = name
    elif name and name.casefold() != lead.name.casefold():
        notes.append(f"gave the name {name}")
    email = email.strip()
    if email and not _is_email(email):
        notes.append(f"gave the email {email} (not a valid address)")
    elif email and not lead.email:
        lead.email = email
    elif email and email.casefold() != lead.email.casefold():
        notes.append(f"gave the email {email}")
    if email and email.casefold() == lead.suggested_email.casefold():
        lead.suggested_email = ""  # the caller gave the address the analysis heard
    return notes


def _append_note(lead: Lead, text: str, *, business, author: str = "") -> None:
    """A dated line on the lead's notes; `author` (Roxy) prefixes it, staff's have none."""
    text = text.strip()
    if not text:
        return
    today = business.local_now().date().isoformat()
    entry = f"[{today}] {author}: {text}" if author else f"[{today}] {text}"
    lead.notes = f"{lead.notes.rstrip()}\n{entry}" if lead.notes.strip() else entry


def _raise_status(lead: Lead, target: str) -> None:
    current = STATUS_RANK.get(lead.status)
    if current is None or current < STATUS_RANK[target]:
        lead.status = target


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@transaction.atomic
def mark_lead_contacted(lead: Lead) -> Lead:
    """Record that staff reached the lead just now: last_contacted_at is stamped, and a
    new (or lost) lead moves to contacted; one further along the pipeline stays put."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    lead.last_contacted_at = timezone.now()
    _raise_status(lead, Lead.Status.CONTACTED)
    lead.save(update_fields=["last_contacted_at", "status", "updated_at"])
    return lead


def move_leads(leads, *, status: str) -> int:
    """Staff move leads to a pipeline status (any direction); returns how many changed."""
    changes = {"status": status, "updated_at": timezone.now()}
    if status == Lead.Status.CONTACTED:
        changes["last_contacted_at"] = changes["updated_at"]
    return leads.exclude(status=status).update(**changes)


@transaction.atomic
def merge_leads(survivor: Lead, *, duplicates) -> Lead:
    """Fold duplicate leads into `survivor`: their calls, appointments, notifications and
    callback requests move over, blanks are filled, notes kept; the duplicates are deleted.
    """
    duplicates = [d for d in duplicates if d.pk != survivor.pk]
    if any(d.business_id != survivor.business_id for d in duplicates):
        raise ValueError("Only leads of the same business can be merged.")
    survivor = Lead.objects.select_for_update().get(pk=survivor.pk)
    for relation in Lead._meta.related_objects:
        # Every row that points at a lead (calls, appointments, ...) moves, without
        # this app importing the apps that own those rows.
        field = relation.field.name
        relation.related_model._default_manager.filter(
            **{f"{field}__in": duplicates}
        ).update(**{field: survivor})
    phones = [d.phone for d in duplicates if d.phone]
    for duplicate in duplicates:
        _absorb(survivor, duplicate)
    Lead.objects.filter(pk__in=[d.pk for d in duplicates]).delete()
    if not survivor.phone and phones:
        survivor.phone = phones[0]  # free now that the duplicate is gone
    survivor.save()
    return survivor


def _absorb(survivor: Lead, duplicate: Lead) -> None:
    for field in ("name", "email", "interest", "score_reason"):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    if duplicate.score is not None and (survivor.score or 0) < duplicate.score:
        survivor.score = duplicate.score
    if STATUS_RANK.get(duplicate.status, -1) > STATUS_RANK.get(survivor.status, -1):
        survivor.status = duplicate.status
    if duplicate.notes.strip():
        header = f"[merged from {duplicate.name or duplicate.phone or duplicate.pk}]"
        survivor.notes = (
            f"{survivor.notes.rstrip()}\n{header}\n{duplicate.notes.strip()}".strip()
        )
