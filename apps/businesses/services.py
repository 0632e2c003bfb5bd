"""Staff membership: who works for which business, and with what role."""

from django.contrib.auth.models import Group
from django.db import transaction

from apps.businesses import roles
from apps.businesses.models import Business, Membership

GROUP_FOR_ROLE = {
    Membership.Role.FRONT_DESK: roles.FRONT_DESK,
    Membership.Role.MANAGER: roles.MANAGER,
}


@transaction.atomic
def add_member(business: Business, *, user, role: str) -> Membership:
    """Give `user` a role at `business` (updating an existing one) and sync their groups."""
    membership, _ = Membership.objects.update_or_create(
        user=user, business=business, defaults={"role": role}
    )
    sync_staff_access(user)
    return membership


def sync_staff_access(user) -> None:
    """Staff status and groups follow memberships: the highest role held anywhere counts.

    Permissions in Django are global, so a manager at one business who is front desk at
    another holds manager permissions; rows stay limited to their own businesses.
    """
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    wanted = (
        Membership.Role.MANAGER
        if Membership.Role.MANAGER in held
        else next(iter(held), None)
    )
    managed = Group.objects.filter(name__in=GROUP_FOR_ROLE.values())
    user.groups.remove(*managed)
    if wanted:
        user.groups.add(Group.objects.get(name=GROUP_FOR_ROLE[wanted]))
    if held and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
