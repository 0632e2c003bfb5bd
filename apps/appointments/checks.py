"""Doctor's probe of each active business's services: something Roxy can book."""

from django.core import checks

from apps.appointments.models import Service
from apps.businesses.models import Business
from apps.core import probes


@probes.register(probes.DATABASE)
def check_services(**kwargs) -> list[checks.CheckMessage]:
    """Each active business has a service someone can be booked for."""
    businesses = Business.objects.active().order_by("slug")
    return [_services(business) for business in businesses]


def _services(business: Business) -> checks.CheckMessage:
    services = Service.objects.filter(business=business, is_active=True)
    if not services.exists():
        return checks.Error(
            "services: No active service: Roxy cannot book anything.",
            hint="Add services (and the providers who do them) in the admin.",
            obj=business.slug,
            id="appointments.E001",
        )
    unstaffed = list(
        services.exclude(providers__is_active=True).values_list("name", flat=True)
    )
    if unstaffed:
        return checks.Error(
            f"services: No active provider does: {', '.join(unstaffed)}; they can "
            "never be booked.",
            hint="Assign a provider to each service in the admin, or deactivate it.",
            obj=business.slug,
            id="appointments.E002",
        )
    return checks.Info(
        f"services: {services.count()} bookable",
        obj=business.slug,
        id="appointments.I001",
    )
