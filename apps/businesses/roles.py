"""The two staff groups that ship with VoiceHive, and what each may do in the admin."""

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

FRONT_DESK = "Front desk"
MANAGER = "Manager"

# app_label.model -> the actions a front-desk member may take on it.
FRONT_DESK_PERMISSIONS = {
    "leads.lead": ("view", "add", "change"),
    "leads.callbackrequest": ("view", "change"),
    "calls.call": ("view", "change"),
    "calls.toolinvocation": ("view",),
    "appointments.appointment": ("view", "add", "change"),
    "appointments.service": ("view",),
    "appointments.provider": ("view",),
    "notifications.notification": ("view", "change"),
    "businesses.business": ("view",),
}
# Managers also run the business: its settings, services, providers, hours and staff.
MANAGER_PERMISSIONS = {
    **FRONT_DESK_PERMISSIONS,
    "leads.lead": ("view", "add", "change", "delete"),
    "appointments.appointment": ("view", "add", "change", "delete"),
    "appointments.service": ("view", "add", "change", "delete"),
    "appointments.provider": ("view", "add", "change", "delete"),
    "appointments.providerhours": ("view", "add", "change", "delete"),
    "appointments.timeoff": ("view", "add", "change", "delete"),
    "businesses.business": ("view", "change"),
    "businesses.openinghours": ("view", "add", "change", "delete"),
    "businesses.closure": ("view", "add", "change", "delete"),
    "businesses.vapiphonenumber": ("view",),
    "businesses.membership": ("view", "add", "change", "delete"),
    "calls.webhookevent": ("view", "change"),
}
GROUPS = {FRONT_DESK: FRONT_DESK_PERMISSIONS, MANAGER: MANAGER_PERMISSIONS}


def ensure_staff_groups() -> dict[str, Group]:
    """Create or update the staff groups to hold exactly their permissions. Idempotent."""
    for app_config in django_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)  # a no-op for ones that exist
    groups = {}
    for name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(grants))
        groups[name] = group
    return groups


def _permissions(grants: dict[str, tuple[str, ...]]) -> list[Permission]:
    wanted = {
        (label.split(".")[0], f"{action}_{label.split('.')[1]}")
        for label, actions in grants.items()
        for action in actions
    }
    candidates = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in wanted}
    ).select_related("content_type")
    return [p for p in candidates if (p.content_type.app_label, p.codename) in wanted]
