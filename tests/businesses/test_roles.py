from django.contrib import admin

from apps.businesses import roles
from apps.businesses.models import Membership
from apps.businesses.tenant_admin import TenantScopedAdmin

Role = Membership.Role


def test_front_desk_runs_the_day_but_deletes_nothing_and_manages_no_one():
    assert roles.allows(Role.FRONT_DESK, "appointments.appointment", roles.ADD)
    assert roles.allows(Role.FRONT_DESK, "leads.lead", roles.CHANGE)
    assert not roles.allows(Role.FRONT_DESK, "leads.lead", roles.DELETE)
    assert not roles.allows(Role.FRONT_DESK, "businesses.membership", roles.VIEW)
    assert not roles.allows(Role.FRONT_DESK, "businesses.business", roles.CHANGE)


def test_managers_hold_every_front_desk_grant_and_run_the_business():
    for label, actions in roles.FRONT_DESK_GRANTS.items():
        assert actions <= roles.MANAGER_GRANTS[label]
    assert roles.allows(Role.MANAGER, "businesses.membership", roles.ADD)
    assert roles.allows(Role.MANAGER, "leads.lead", roles.DELETE)


def test_no_role_adds_a_business_or_touches_vapi_numbers():
    for role in Role.values:
        assert not roles.allows(role, "businesses.business", roles.ADD)
        assert not roles.allows(role, "businesses.vapiphonenumber", roles.CHANGE)


def test_nobody_and_unknown_models_are_allowed_nothing():
    assert not roles.allows(None, "leads.lead", roles.VIEW)
    assert not roles.allows(Role.MANAGER, "auth.user", roles.VIEW)


def test_a_role_grants_only_roles_up_to_its_own():
    assert roles.grantable_by(Role.MANAGER) == [Role.FRONT_DESK, Role.MANAGER]
    assert roles.grantable_by(Role.FRONT_DESK) == [Role.FRONT_DESK]
    assert roles.grantable_by(None) == []


def test_every_granted_model_has_a_scoped_admin_or_inline():
    scoped = {
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedAdmin)
    } | {
        inline.model._meta.label_lower
        for model_admin in admin.site._registry.values()
        for inline in getattr(model_admin, "inlines", ())
    }
    assert set(roles.MANAGER_GRANTS) - roles.PAGES <= scoped
