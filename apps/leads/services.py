"""Creating and updating leads."""

from django.db import IntegrityError, transaction

from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.leads.models import Lead


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
