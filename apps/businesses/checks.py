"""Doctor's probes of the businesses: one is active, and each can be reached and alerts someone."""

from django.core import checks
from django.db.models import Count, Q

from apps.businesses.models import Business
from apps.core import probes


@probes.register(probes.DATABASE)
def check_active_businesses(**kwargs) -> list[checks.CheckMessage]:
    """At least one business answers calls."""
    active = Business.objects.active().count()
    if not active:
        return [
            checks.Error(
                "Businesses: No active business: every call is refused or forwarded.",
                hint="Add one in the admin, or run: python manage.py seed_demo",
                id="businesses.E001",
            )
        ]
    return [checks.Info(f"Businesses: {active} active", id="businesses.I001")]


@probes.register(probes.DATABASE)
def check_opening_hours(**kwargs) -> list[checks.CheckMessage]:
    """Each active business has opening hours."""
    businesses = Business.objects.active().annotate(
        days=Count("opening_hours__weekday", distinct=True)
    )
    return [_opening_hours(business) for business in businesses.order_by("slug")]


def _opening_hours(business: Business) -> checks.CheckMessage:
    if business.days:
        return checks.Info(
            f"opening hours: open {business.days} day(s) a week",
            obj=business.slug,
            id="businesses.I002",
        )
    return checks.Error(
        "opening hours: No opening hours: Roxy says the business is closed and "
        "offers no slots.",
        hint="Add opening hours in the admin.",
        obj=business.slug,
        id="businesses.E002",
    )


@probes.register(probes.DATABASE)
def check_contacts(**kwargs) -> list[checks.CheckMessage]:
    """Each active business can take transfers and hears about new leads."""
    messages = []
    # Transfer destinations (#16) replace the single transfer number: either will do.
    businesses = Business.objects.active().annotate(
        destinations=Count(
            "transfer_destinations", filter=Q(transfer_destinations__is_active=True)
        )
    )
    for business in businesses.order_by("slug"):
        if not (business.transfer_number or business.destinations):
            messages.append(
                checks.Warning(
                    "transfers: No transfer number: Roxy cannot put callers through "
                    "to staff.",
                    hint="Set the business's transfer number in the admin.",
                    obj=business.slug,
                    id="businesses.W001",
                )
            )
        if not (business.notification_email_list or business.notification_phone_list):
            messages.append(
                checks.Warning(
                    "alerts: No notification emails or phones: nobody hears about "
                    "new leads.",
                    hint="Add staff addresses or mobiles to the business in the admin.",
                    obj=business.slug,
                    id="businesses.W002",
                )
            )
    return messages
