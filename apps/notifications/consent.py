"""Text consent per business and number: the carriers' STOP and START, and staff's
changes with a reason. Every change is a history row; the latest is the truth."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from apps.notifications.models import (
    CONSENT_EXEMPT_KINDS,
    Notification,
    SmsConsent,
    SmsConsentChange,
)

Status = SmsConsent.Status
Source = SmsConsentChange.Source


def is_opted_out(business_id: int, phone: str) -> bool:
    """Whether `phone` told this business to stop texting it (and has not restarted)."""
    if not phone:
        return False
    return (
        SmsConsent.objects.opted_out()
        .filter(business_id=business_id, phone=phone)
        .exists()
    )


def takes_texts(
    *, phone: str = "phone", business: str = "business", lead: str | None = None
) -> ExpressionWrapper:
    """An annotation for lists with `sms:` links: whether the row's number takes texts,
    i.e. the number did not opt out of this business's texts (SmsConsent) and the
    lead, if any, did not refuse texts (Lead.has_sms_consent). `lead` is the path to
    the lead ("" when the rows are leads). One subquery, no query per row."""
    opted_out = SmsConsent.objects.opted_out().filter(
        business=OuterRef(business), phone=OuterRef(phone)
    )
    if lead is None:
        agreed = Q()
    elif lead == "":
        agreed = Q(has_sms_consent=True)
    else:
        agreed = Q(**{f"{lead}__isnull": True}) | Q(
            **{f"{lead}__has_sms_consent": True}
        )
    return ExpressionWrapper(agreed & ~Exists(opted_out), output_field=BooleanField())


def row_takes_texts(row, business_id: int, phone: str, lead) -> bool:
    """The `takes_texts` annotation when the row has it, else the same rule at the
    cost of one query (a single object's page)."""
    annotated = getattr(row, "takes_texts", None)
    if annotated is not None:
        return annotated
    if lead is not None and not lead.has_sms_consent:
        return False
    return not is_opted_out(business_id, phone)


def may_text(*, business_id: int, channel: str, kind: str, recipient: str) -> bool:
    """False for a text to a number that opted out, except the opt-out's own answer.
    Asked when a message is queued and again when it is sent."""
    if channel != Notification.Channel.SMS:
        return True
    if kind in CONSENT_EXEMPT_KINDS:
        return True
    return not is_opted_out(business_id, recipient)


@transaction.atomic
def set_consent(
    business,
    phone: str,
    *,
    status: str,
    source: str,
    reason: str,
    changed_by=None,
    now: dt.datetime | None = None,
) -> SmsConsent:
    """Record a consent change with its history row, and withdraw the texts waiting
    for an opted-out number. A change to the same status still adds its history row
    (a second STOP is a fact staff may want to see); idempotent in effect."""
    now = now or timezone.now()
    consent = _locked(business, phone, now)
    consent.status = status
    consent.changed_at = now
    consent.save(update_fields=["status", "changed_at", "updated_at"])
    SmsConsentChange.objects.create(
        consent=consent,
        business=business,
        status=status,
        source=source,
        reason=reason[:300],
        changed_by=changed_by,
        changed_at=now,
    )
    if status == Status.OPTED_OUT:
        suppress_queued(business.pk, phone)
    return consent


def suppress_queued(business_id: int, phone: str) -> int:
    """Mark the queued texts to `phone` as not sent (opted out); the delivery check
    catches any a worker has already claimed."""
    return (
        Notification.objects.queued()
        .filter(business_id=business_id, channel=Notification.Channel.SMS)
        .filter(recipient=phone)
        .exclude(kind__in=CONSENT_EXEMPT_KINDS)
        .update(
            status=Notification.Status.SUPPRESSED,
            last_error=OPTED_OUT_REASON,
            updated_at=timezone.now(),
        )
    )


OPTED_OUT_REASON = "Not sent: the number opted out of this business's texts."


def _locked(business, phone: str, now: dt.datetime) -> SmsConsent:
    consent = (
        SmsConsent.objects.select_for_update()
        .filter(business=business, phone=phone)
        .first()
    )
    if consent is not None:
        return consent
    try:
        with transaction.atomic():
            return SmsConsent.objects.create(
                business=business, phone=phone, changed_at=now
            )
    except IntegrityError:  # created by a concurrent change just now
        return SmsConsent.objects.select_for_update().get(
            business=business, phone=phone
        )


def consent_for(business_id: int, phone: str) -> SmsConsent | None:
    return SmsConsent.objects.filter(business_id=business_id, phone=phone).first()
