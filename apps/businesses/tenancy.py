"""Which businesses' rows a user reaches, and with which role: the data side of tenancy.

The admin side (`tenant_admin`) applies this to every page; anything else that shows
business data to a user starts from `access_for` and `scope_to_user` too.
"""

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Mapping
from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from apps.businesses import roles
from apps.businesses.models import Business, Membership

ACCESS_CACHE = "_voicehive_staff_access"
TENANT_ID = "_tenant_business_id"


@dataclasses.dataclass(frozen=True)
class StaffAccess:
    """A user's roles, business by business, as the admin asks about them."""

    is_operator: bool
    roles: Mapping[int, str]
    timezones: Mapping[int, str]

    def role_in(self, business_id: int | None) -> str | None:
        return self.roles.get(business_id)

    def allows(self, business_id: int | None, label: str, action: str) -> bool:
        if self.is_operator:
            return True
        return roles.allows(self.roles.get(business_id), label, action)

    def businesses_allowing(self, label: str, *actions: str) -> list[int]:
        """Ids of the user's businesses where their role allows any of `actions`."""
        return [
            business_id
            for business_id, role in self.roles.items()
            if any(roles.allows(role, label, action) for action in actions)
        ]

    def may_anywhere(self, label: str, *actions: str) -> bool:
        return self.is_operator or bool(self.businesses_allowing(label, *actions))

    def tzinfo_of(self, business_id: int | None) -> zoneinfo.ZoneInfo | None:
        name = self.timezones.get(business_id)
        return zoneinfo.ZoneInfo(name) if name else None

    @cached_property
    def has_one_timezone(self) -> bool:
        return len(set(self.timezones.values())) <= 1

    def local_time(self, business_id: int | None, moment: dt.datetime | None) -> str:
        """`moment` as staff read it: in the business's zone, named when the user
        works across zones."""
        if moment is None:
            return "—"
        local = moment.astimezone(
            self.tzinfo_of(business_id) or timezone.get_current_timezone()
        )
        zone = "" if self.has_one_timezone else f" {local.tzname()}"
        return date_format(local, "DATETIME_FORMAT") + zone


def access_for(user) -> StaffAccess:
    """The user's roles by business, read once per request (cached on the user)."""
    cached = getattr(user, ACCESS_CACHE, None)
    if cached is not None:
        return cached
    rows = (
        Membership.objects.filter(user=user).values_list(
            "business_id", "role", "business__timezone"
        )
        if user.is_authenticated and user.is_active
        else []
    )
    is_operator = bool(user.is_active and user.is_superuser)
    timezones = {business_id: tz for business_id, _, tz in rows}
    if is_operator:
        timezones = dict(Business.objects.values_list("pk", "timezone"))
    access = StaffAccess(
        is_operator=is_operator,
        roles={business_id: role for business_id, role, _ in rows},
        timezones=timezones,
    )
    setattr(user, ACCESS_CACHE, access)
    return access


def businesses_for(user) -> models.QuerySet[Business]:
    """The businesses a user may see: all for operators (superusers), else their own."""
    if not user.is_active:
        return Business.objects.none()
    return Business.objects.for_user(user)


def tenant_path(model) -> str | None:
    """The lookup from `model` to its Business, or None when it has no tenant.

    A model that reaches its business through another row says so with a
    `tenant_path` class attribute (e.g. "call__business").
    """
    if model is Business:
        return "pk"
    explicit = getattr(model, "tenant_path", None)
    if explicit:
        return explicit
    try:
        model._meta.get_field("business")
    except FieldDoesNotExist:
        return None
    return "business"


def business_id_of(obj) -> int | None:
    """The id of the business `obj` belongs to (None for rows of no business)."""
    if hasattr(obj, TENANT_ID):
        return getattr(obj, TENANT_ID)
    path = tenant_path(type(obj))
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id")


def scope_to_user(
    queryset: models.QuerySet,
    user,
    *,
    actions: tuple[str, ...] = (roles.VIEW,),
    label: str | None = None,
) -> models.QuerySet:
    """`queryset` limited to rows of businesses where the user's role allows `actions`
    on model `label` (by default the queryset's own model).

    Operators (superusers) see everything; a model with no tenant path shows nothing
    to anyone else, so a relation to an unscoped model never leaks its rows.
    """
    access = access_for(user)
    if access.is_operator:
        return queryset
    path = tenant_path(queryset.model)
    if path is None:
        return queryset.none()
    allowed = access.businesses_allowing(
        label or queryset.model._meta.label_lower, *actions
    )
    return queryset.filter(**{f"{path}__in": allowed})
