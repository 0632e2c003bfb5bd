"""The --business option of operator commands: a business named by its slug."""

from django.core.management.base import CommandError

from apps.businesses.models import Business


def business_from_slug(slug: str | None) -> Business | None:
    if slug is None:
        return None
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise CommandError(f"No business with slug {slug!r}.")
    return business
