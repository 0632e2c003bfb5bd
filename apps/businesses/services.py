"""Staff membership: who works for which business, and with what role."""

from django.db import transaction

from apps.businesses.models import Business, Membership


@transaction.atomic
def add_member(business: Business, *, user, role: str) -> Membership:
    """Give `user` a role at `business` (updating an existing one); makes them staff."""
    membership, _ = Membership.objects.update_or_create(
        user=user, business=business, defaults={"role": role}
    )
    sync_staff_access(user)
    return membership


def sync_staff_access(user) -> None:
    """A user may sign in to the back office while they hold a role somewhere.

    What they may do there is decided per business by their role (`roles`), never by
    Django's global permissions, so nothing else is kept on the user. Operators
    (superusers) keep their access whatever their memberships.
    """
    is_staff = user.is_superuser or Membership.objects.filter(user=user).exists()
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
