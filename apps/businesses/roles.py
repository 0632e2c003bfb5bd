"""What each staff role may do to a business's rows: the one table the admin asks.

A role is held per business (a `Membership`), so what a user may do to a row is what
their role *in that row's business* grants here. Nothing is read from Django's global
permissions or groups: a manager at one business who is front desk at another is a
manager there and front desk here.
"""

from apps.businesses.models import Membership

Role = Membership.Role

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
EVERYTHING = frozenset({VIEW, ADD, CHANGE, DELETE})
# Pages that show figures across models, granted like a model. The reports show what
# Roxy cost and what she booked, the business's money, so only managers read them.
REPORTS = "dashboard.reports"
PAGES = frozenset({REPORTS})

# app_label.model -> what a front-desk member may do to it at their business.
FRONT_DESK_GRANTS = {
    "leads.lead": frozenset({VIEW, ADD, CHANGE}),
    "leads.callbackrequest": frozenset({VIEW, CHANGE}),
    "calls.call": frozenset({VIEW, CHANGE}),
    "calls.toolinvocation": frozenset({VIEW}),
    "appointments.appointment": frozenset({VIEW, ADD, CHANGE}),
    "appointments.service": frozenset({VIEW}),
    "appointments.provider": frozenset({VIEW}),
    "notifications.notification": frozenset({VIEW, CHANGE}),
    "businesses.business": frozenset({VIEW}),
    "businesses.transferdestination": frozenset({VIEW}),
    "businesses.transferhours": frozenset({VIEW}),
    # Anyone may connect their own calendar (as the provider); apps/calendars/admin.py
    # narrows adding and changing to managers and the provider's own login.
    "calendars.calendarconnection": frozenset({VIEW, ADD, CHANGE}),
    "calendars.connectedcalendar": frozenset({VIEW, CHANGE}),
    "calendars.calendarwrite": frozenset({VIEW, CHANGE}),
    # Two-way texting (issue #14): the desk answers texts and records opt-outs.
    "notifications.smsconsent": frozenset({VIEW, ADD, CHANGE}),
    "notifications.smsconsentchange": frozenset({VIEW}),
    "texting.conversation": frozenset({VIEW, CHANGE}),
    "texting.inboundtext": frozenset({VIEW}),
}
# Managers also run the business: its settings, services, providers, hours and staff.
MANAGER_GRANTS = {
    **FRONT_DESK_GRANTS,
    "leads.lead": EVERYTHING,
    "leads.callbackrequest": EVERYTHING,
    "appointments.appointment": EVERYTHING,
    "appointments.service": EVERYTHING,
    "appointments.provider": EVERYTHING,
    "appointments.providerhours": EVERYTHING,
    "appointments.timeoff": EVERYTHING,
    "businesses.business": frozenset({VIEW, CHANGE}),
    "businesses.openinghours": EVERYTHING,
    "businesses.closure": EVERYTHING,
    "businesses.vapiphonenumber": frozenset({VIEW}),
    # Where Roxy puts callers through: the business's own phones and people.
    "businesses.transferdestination": EVERYTHING,
    "businesses.transferhours": EVERYTHING,
    REPORTS: frozenset({VIEW}),
    "businesses.membership": EVERYTHING,
    "calls.webhookevent": frozenset({VIEW, CHANGE}),
}
GRANTS = {Role.FRONT_DESK: FRONT_DESK_GRANTS, Role.MANAGER: MANAGER_GRANTS}
# A role may hand out only roles up to its own rank.
RANK = {Role.FRONT_DESK: 1, Role.MANAGER: 2}


def allows(role: str | None, label: str, action: str) -> bool:
    """Whether `role` may take `action` on rows of model `label` in its business."""
    return action in GRANTS.get(role, {}).get(label, ())


def grantable_by(role: str | None) -> list[str]:
    """The roles someone holding `role` may give others, lowest first."""
    rank = RANK.get(role, 0)
    return [r for r in Role.values if RANK[r] <= rank]
