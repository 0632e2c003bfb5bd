"""Keeping each staff member inside the businesses they belong to, everywhere in the admin."""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404

from apps.businesses.models import Business


def businesses_for(user) -> models.QuerySet[Business]:
    """The businesses a user may see: all for superusers, else their memberships."""
    if not user.is_active:
        return Business.objects.none()
    return Business.objects.for_user(user)


def _business_path(model) -> str | None:
    """The lookup from `model` to its Business, or None when it has no tenant."""
    if model is Business:
        return "pk"
    try:
        model._meta.get_field("business")
    except FieldDoesNotExist:
        return None
    return "business"


def scope_to_user(
    queryset: models.QuerySet, user, *, path: str | None = None
) -> models.QuerySet:
    """`queryset` limited to rows of the user's businesses (unchanged for superusers).

    `path` is the lookup to the Business for models that reach it through another
    row (e.g. "call__business"); by default the model's own `business` field.
    """
    if user.is_superuser:
        return queryset
    path = path or _business_path(queryset.model)
    if path is None:
        return queryset
    return queryset.filter(**{f"{path}__in": businesses_for(user).values("pk")})


class TenantScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin that shows, offers and changes only the user's businesses' rows.

    Lists, change forms, foreign-key and many-to-many choices, searches, actions and
    exports all start from `get_queryset`, so scoping it scopes them all. An object of
    another business is a 404, not the admin's "does not exist" redirect, so a guessed
    URL reveals nothing. Set `tenant_path` when the model reaches its business through
    another row.
    """

    tenant_path: str | None = None

    def get_queryset(self, request):
        return scope_to_user(
            super().get_queryset(request), request.user, path=self.tenant_path
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scope_choices(formfield, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scope_choices(formfield, request)

    def _scope_choices(self, formfield, request):
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_to_user(formfield.queryset, request.user)
        return formfield

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj
