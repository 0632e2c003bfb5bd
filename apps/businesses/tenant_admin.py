"""The admin's side of tenancy: every page keeps staff inside their businesses and roles.

Everything the admin shows or changes goes through `TenantScoping`: lists and objects
(`get_queryset`), what a user may do to a row (their role in the row's business, from
`roles`), the choices and labels of every relation field, list filters, actions, the
business a new row may belong to, and the time zone its times are read in. Lists
follow the header's business switcher (`switcher`) and name each row's business for
staff of several. An admin added later inherits all of it.
"""

import datetime as dt
import zoneinfo
from collections.abc import Mapping

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone

from apps.businesses import roles, switcher
from apps.businesses.models import Business
from apps.businesses.tenancy import (
    TENANT_ID,
    StaffAccess,
    access_for,
    business_id_of,
    businesses_for,
    scope_to_user,
    tenant_path,
)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id input that labels only rows the user may pick: an id of another
    business (typed, prefilled through `?field=` or re-rendered after an invalid
    POST) shows no name."""

    def __init__(self, rel, admin_site, *, choices, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.scoped_choices = choices

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            visible = self.scoped_choices.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):  # a malformed id
            visible = False
        return super().label_and_url_for_value(value) if visible else ("", "")


class SameBusinessForm:
    """Form mixin: every related row chosen belongs to the row's own business, and
    the times typed are that business's wall-clock times."""

    def clean(self):
        business = self.cleaned_data.get("business") or _business_of_instance(
            self.instance
        )
        if business is not None and self.instance.pk is None:
            self._read_times_in(business.tzinfo)
        if business is not None:
            for name, value in list(self.cleaned_data.items()):
                if (
                    isinstance(value, models.Model)
                    and not isinstance(value, Business)
                    and tenant_path(type(value))
                    and business_id_of(value) != business.pk
                ):
                    self.add_error(
                        name,
                        f"This {value._meta.verbose_name} belongs to another business.",
                    )
        return super().clean()

    def _read_times_in(self, tz) -> None:
        # The form read them in the zone active for the page, which for a user of
        # several businesses may not be the one this row is being added to.
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.SplitDateTimeField | forms.DateTimeField) and (
                isinstance(value, dt.datetime)
            ):
                self.cleaned_data[name] = timezone.make_aware(
                    timezone.make_naive(value), tz
                )


def _business_of_instance(instance) -> Business | None:
    if isinstance(instance, Business):
        return instance if instance.pk else None
    business_id = getattr(instance, "business_id", None)
    return Business.objects.filter(pk=business_id).first() if business_id else None


class TenantScoping:
    """What model admins and inlines share: permissions by role, scoped choices."""

    def _access(self, request) -> StaffAccess:
        return access_for(request.user)

    @property
    def tenant_label(self) -> str:
        return self.model._meta.label_lower

    def _may(self, request, action: str, obj=None) -> bool:
        access = self._access(request)
        if obj is None:
            return access.may_anywhere(self.tenant_label, action)
        return access.allows(business_id_of(obj), self.tenant_label, action)

    def has_module_permission(self, request):
        return self._access(request).may_anywhere(self.tenant_label, *roles.EVERYTHING)

    def has_view_permission(self, request, obj=None):
        return self._may(request, roles.VIEW, obj) or self._may(
            request, roles.CHANGE, obj
        )

    def has_add_permission(self, request, obj=None):
        return self._may(request, roles.ADD, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, roles.CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, roles.DELETE, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is None:
            return None
        formfield.queryset = self.scope_choices(request, db_field, formfield.queryset)
        if isinstance(formfield.widget, ForeignKeyRawIdWidget):
            formfield.widget = ScopedRawIdWidget(
                db_field.remote_field,
                self.admin_site,
                choices=formfield.queryset,
                using=formfield.widget.db,
            )
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None:
            formfield.queryset = self.scope_choices(
                request, db_field, formfield.queryset
            )
        return formfield

    def scope_choices(self, request, db_field, queryset):
        """The rows a relation field may offer: a new row's business among those
        where the user may add; anything else among what the user may view."""
        if queryset.model is Business:
            return scope_to_user(
                queryset, request.user, actions=(roles.ADD,), label=self.tenant_label
            )
        return scope_to_user(queryset, request.user, actions=(roles.VIEW, roles.CHANGE))


class TenantScopedAdmin(TenantScoping, admin.ModelAdmin):
    """A ModelAdmin that shows, offers and changes only what the user's roles allow.

    An object of another business is a 404, not the admin's "does not exist"
    redirect, so a guessed URL reveals nothing. A model that reaches its business
    through another row declares `tenant_path` on the model.
    """

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        path = tenant_path(self.model)
        if path and "__" in path:
            queryset = queryset.annotate(**{TENANT_ID: models.F(path)})
        chosen = self._narrowed_to(request)
        if path and chosen:
            queryset = queryset.filter(**{path: chosen})
        return scope_to_user(queryset, request.user, actions=(roles.VIEW, roles.CHANGE))

    def _narrowed_to(self, request) -> int | None:
        """The business the header's switcher narrows this list to, if any."""
        # Only the list narrows: a row of another of the user's businesses, opened
        # from a link, still shows (see `switcher`), and the list a form's lookup
        # pops up offers what that row's form may pick.
        match = getattr(request, "resolver_match", None)
        url_name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        if match is None or match.url_name != url_name or IS_POPUP_VAR in request.GET:
            return None
        return switcher.chosen_business_id(request)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        chosen = switcher.chosen_business_id(request)
        if chosen and tenant_path(self.model) == "business":
            initial.setdefault("business", chosen)
        return initial

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (SameBusinessForm, form), {})

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        moves = obj is not None and tenant_path(self.model) == "business"
        if moves and "business" not in readonly:
            readonly += ("business",)  # a row never moves to another business
        return readonly

    # List columns showing a datetime that is not a model field: column -> attribute.
    business_times: Mapping[str, str] = {}

    def get_list_display(self, request):
        """Datetime columns read in each row's business's zone, not the viewer's;
        a Business column while rows of several businesses may be listed."""
        access = self._access(request)
        columns = []
        for column in super().get_list_display(request):
            attribute = self.business_times.get(column) or self._datetime_field(column)
            if attribute:
                column = self._business_time_column(access, column, attribute)
            columns.append(column)
        return self._with_business_column(request, access, columns)

    def get_sortable_by(self, request):
        # Django's default is a second `get_list_display`, whose computed columns are
        # new functions the first call's never equal: none would sort.
        return self.sortable_by

    def _with_business_column(self, request, access: StaffAccess, columns: list):
        path = tenant_path(self.model)
        if path in (None, "pk"):
            return columns
        chosen = self._narrowed_to(request)
        first, rest = columns[0], columns[1:]  # the first links to the row: it stays
        if chosen or not switcher.spans_several(access):
            # One business in view: a column naming it says nothing.
            return [first, *(column for column in rest if column != "business")]
        if "business" in columns:
            return columns
        return [first, self._business_name_column(request.user, path), *rest]

    def _business_name_column(self, user, path: str):
        names: dict[int, str] = {}

        def business(obj):
            if not names:  # one query for the page, not one per row
                names.update(businesses_for(user).values_list("pk", "name"))
            return names.get(business_id_of(obj), "—")

        business.short_description = "Business"
        business.admin_order_field = f"{path}__name"
        return business

    def _datetime_field(self, name) -> str | None:
        if not isinstance(name, str):
            return None
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return name if isinstance(field, models.DateTimeField) else None

    def _business_time_column(self, access: StaffAccess, column: str, attribute: str):
        method = getattr(self, column, None)
        header = getattr(method, "short_description", None) or (
            self.model._meta.get_field(column).verbose_name
        )

        def show(obj):
            return access.local_time(business_id_of(obj), getattr(obj, attribute))

        show.short_description = header
        show.admin_order_field = getattr(method, "admin_order_field", column)
        show.__name__ = column
        return show

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Shown and typed in the business's zone: the row's, or on an add page the
        one zone of the businesses the user may add to."""
        tz = self._page_timezone(request, object_id)
        extra_context = {**(extra_context or {}), "business_timezone": tz}
        if tz is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(tz):
            response = super().changeform_view(
                request, object_id, form_url, extra_context
            )
            # A TemplateResponse renders after the view returns, outside the zone.
            return response.render() if hasattr(response, "render") else response

    def _page_timezone(self, request, object_id) -> zoneinfo.ZoneInfo | None:
        access = self._access(request)
        if object_id is None:
            zones = {
                access.timezones.get(business_id)
                for business_id in access.businesses_allowing(
                    self.tenant_label, roles.ADD
                )
            }
            return zoneinfo.ZoneInfo(zones.pop()) if len(zones) == 1 else None
        path = tenant_path(self.model)
        lookup = "timezone" if path == "pk" else f"{path}__timezone"
        try:
            name = (
                self.get_queryset(request)
                .filter(pk=unquote(object_id))
                .values_list(lookup, flat=True)
                .first()
            )
        except (ValueError, ValidationError):
            return None
        return zoneinfo.ZoneInfo(name) if name else None

    def get_list_filter(self, request):
        access = self._access(request)
        filters = []
        for entry in super().get_list_filter(request):
            name = entry[0] if isinstance(entry, tuple) else entry
            if not isinstance(name, str) or not self._is_relation(name):
                filters.append(entry)
            elif name == "business" and not switcher.spans_several(access):
                continue  # one business: a filter by it says nothing
            else:
                # Only values present in the user's own rows, never every name.
                filters.append((name, admin.RelatedOnlyFieldListFilter))
        return filters

    def _is_relation(self, field_path: str) -> bool:
        try:
            return get_fields_from_path(self.model, field_path)[-1].is_relation
        except (FieldDoesNotExist, NotRelationField):
            return False

    def get_actions(self, request):
        """Actions the user's role allows somewhere, each run only on the selected
        rows of businesses where it does. An action that does not say what it needs
        (`allowed_permissions`) needs the change permission."""
        scoped = {}
        for name, (func, _, description) in super().get_actions(request).items():
            needs = tuple(getattr(func, "allowed_permissions", (roles.CHANGE,)))
            if self._access(request).may_anywhere(self.tenant_label, *needs):
                scoped[name] = (self._within_roles(func, needs), name, description)
        return scoped

    def _within_roles(self, func, needs: tuple[str, ...]):
        def action(modeladmin, request, queryset):
            access = self._access(request)
            if not access.is_operator:
                allowed = access.businesses_allowing(self.tenant_label, *needs)
                if set(allowed) != set(access.roles):
                    narrowed = queryset.filter(
                        **{f"{tenant_path(self.model)}__in": allowed}
                    )
                    left = queryset.count() - narrowed.count()
                    if left:
                        self.message_user(
                            request,
                            f"{left} selected row(s) left alone: your role at their "
                            "business does not allow this.",
                            level=messages.WARNING,
                        )
                    queryset = narrowed
            return func(modeladmin, request, queryset)

        action.allowed_permissions = needs
        action.__name__ = func.__name__
        return action


class TenantTabularInline(TenantScoping, admin.TabularInline):
    """Rows shown on a parent's page belong to the parent's business, so the user's
    role there (the `obj` Django passes is the parent) decides what they may do."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if tenant_path(self.model) is None:
            return queryset  # reached only through its parent, which is scoped
        return scope_to_user(queryset, request.user, actions=(roles.VIEW, roles.CHANGE))
