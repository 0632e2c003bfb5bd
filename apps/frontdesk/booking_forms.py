"""The booking page's two forms: what to look for (business, service, provider, day),
then the time and the customer. Every choice is limited to the business picked, which
is limited to those where the user may book."""

import datetime as dt
from dataclasses import dataclass

from django import forms

from apps.appointments.bookability import Problem, problems_with, refusal
from apps.appointments.models import Provider, Service
from apps.appointments.slots import InvalidSlotError, parse_slot_id
from apps.businesses import roles
from apps.businesses.models import Business
from apps.core.phones import InvalidPhoneError, format_phone, normalize_phone
from apps.frontdesk import booking
from apps.frontdesk.booking import NewCustomer, ProviderTimes
from apps.leads.models import Lead

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


@dataclass(frozen=True)
class Pick:
    business: Business
    service: Service
    provider: Provider | None  # None: anyone
    day: dt.date


class PickForm(forms.Form):
    """What staff look for. Always bound: a value not given takes its default (the
    first business, the provider's first service, the business's today).

    `lenient` (looking, not booking) also drops a service or provider not of the
    business, as after staff switch businesses; a booking takes no such liberty.
    """

    business = forms.ModelChoiceField(
        queryset=Business.objects.none(), empty_label=None
    )
    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label=None)
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), required=False, empty_label="Anyone"
    )
    date = forms.DateField(
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, params, *, businesses, lenient: bool = False):
        business = _business(businesses, params.get("business"))
        data = {name: params.get(name) for name in self.base_fields}
        if business is not None and lenient:
            _drop_others(data, business)
        super().__init__(_with_defaults(data, business))
        self.business = business  # None: not one of `businesses`, or none at all
        self.fields["business"].queryset = businesses
        if business is not None:
            self.fields["service"].queryset = booking.services_of(business)
            self.fields["provider"].queryset = booking.providers_of(business)

    @property
    def choice(self) -> Pick | None:
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return Pick(data["business"], data["service"], data["provider"], data["date"])


def _business(businesses, raw) -> Business | None:
    if raw is None:
        return businesses.first()
    return businesses.filter(pk=raw).first() if str(raw).isdigit() else None


def _drop_others(data: dict, business: Business) -> None:
    for name, own in (
        ("service", booking.services_of(business)),
        ("provider", booking.providers_of(business)),
    ):
        raw = data[name]
        if raw and not (str(raw).isdigit() and own.filter(pk=raw).exists()):
            data[name] = None


def _with_defaults(data: dict, business: Business | None) -> dict:
    if business is None:
        return data
    if data["business"] is None:
        data["business"] = business.pk
    if data["service"] is None:
        services = booking.services_of(business)
        provider = data["provider"]
        offered = (
            services.filter(providers=provider) if str(provider).isdigit() else services
        )
        data["service"] = getattr(offered.first() or services.first(), "pk", "")
    if data["date"] is None:
        data["date"] = business.local_now().date().isoformat()
    return data


class BookForm(forms.Form):
    """The time (a free slot, or another time, which needs "Book anyway" when it is not
    one Roxy would offer) and the customer (one found, or a new one)."""

    slot = forms.CharField(required=False)
    time = forms.TimeField(label="Another time", required=False, widget=TIME_INPUT)
    book_anyway = forms.BooleanField(
        label="Book anyway", label_suffix="", required=False
    )
    q = forms.CharField(
        label="Find a customer",
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": "Name or phone",
            }
        ),
    )
    lead = forms.ModelChoiceField(queryset=Lead.objects.none(), required=False)
    name = forms.CharField(required=False, max_length=120)
    phone = forms.CharField(required=False, max_length=40)
    email = forms.EmailField(required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, choice: Pick | None, user, initial=None):
        super().__init__(data, initial=initial)
        self.choice = choice
        self.problems: list[Problem] = []
        self.customer: Lead | NewCustomer | None = None
        self.when: tuple[Provider, dt.datetime] | None = None
        self.existing: Lead | None = None  # the lead a "new" customer's number is
        self.may_find = self.may_add = False
        if choice is not None:
            business = choice.business
            self.may_find = booking.may_use_customers(user, business, roles.VIEW)
            self.may_add = booking.may_use_customers(user, business, roles.ADD)
            if self.may_find:
                self.fields["lead"].queryset = booking.customers_of(business)

    def clean(self):
        cleaned = super().clean()
        if self.choice is None:
            raise forms.ValidationError("Choose the business, service and day first.")
        self.customer = self._customer(cleaned)
        self.when = self._when(cleaned)
        if self.when is not None:
            self._check(*self.when, override=cleaned.get("book_anyway", False))
        return cleaned

    def _customer(self, cleaned) -> Lead | NewCustomer | None:
        lead = cleaned.get("lead")
        name = " ".join(cleaned.get("name", "").split())
        phone, email = cleaned.get("phone", "").strip(), cleaned.get("email", "")
        if "lead" in self.errors:
            return None
        if lead is not None and (name or phone or email):
            self.add_error(None, "Choose a customer found or add a new one, not both.")
            return None
        if lead is not None:
            return lead
        if not (name or phone or email):
            self.add_error(None, "Find the customer, or add them as a new customer.")
            return None
        return self._new_customer(name, phone, email)

    def _new_customer(self, name: str, phone: str, email: str) -> NewCustomer | None:
        if not self.may_add:
            self.add_error(None, "Your role here does not let you add customers.")
            return None
        if not name:
            self.add_error("name", "Give the new customer's name.")
        try:
            e164 = normalize_phone(phone)
        except InvalidPhoneError:
            self.add_error("phone", "Give a phone number we can call or text.")
            return None
        existing = booking.customers_of(self.choice.business).filter(phone=e164).first()
        if existing is not None:
            self.existing = existing
            self.add_error(
                "phone",
                f"{format_phone(e164)} is already {existing.name or 'a customer'}'s "
                "number: choose them from the customers found.",
            )
            return None
        return NewCustomer(name=name, phone=e164, email=email) if name else None

    def _when(self, cleaned) -> tuple[Provider, dt.datetime] | None:
        slot_id, time = cleaned.get("slot"), cleaned.get("time")
        if "time" in self.errors:
            return None
        if slot_id and time:
            self.add_error(None, "Choose a free time or type another time, not both.")
        elif slot_id:
            return self._slot(slot_id)
        elif time:
            return self._other_time(time)
        else:
            self.add_error(None, "Choose a free time, or type another time.")
        return None

    def _slot(self, slot_id: str) -> tuple[Provider, dt.datetime] | None:
        choice = self.choice
        try:
            ref = parse_slot_id(slot_id)
        except InvalidSlotError as exc:
            self.add_error(None, str(exc))
            return None
        provider = booking.providers_of(choice.business).filter(pk=ref.provider_id)
        provider = provider.first() if ref.service_id == choice.service.pk else None
        local_day = ref.start_at.astimezone(choice.business.tzinfo).date()
        if (
            provider is None
            or local_day != choice.day
            or choice.provider not in (None, provider)
        ):
            self.add_error(
                None,
                "That time was offered for another service, provider or day: "
                "choose one of the free times shown now.",
            )
            return None
        return provider, ref.start_at

    def _other_time(self, time: dt.time) -> tuple[Provider, dt.datetime] | None:
        choice = self.choice
        if choice.provider is None:
            self.add_error("time", "Choose the provider for another time (not Anyone).")
            return None
        start_at = dt.datetime.combine(choice.day, time, tzinfo=choice.business.tzinfo)
        return choice.provider, start_at

    def _check(self, provider: Provider, start_at: dt.datetime, *, override: bool):
        """Nothing outside what Roxy would offer is booked without an explicit
        override; a clash with another booking is never overridable."""
        self.problems = problems_with(
            self.choice.service, provider=provider, start_at=start_at
        )
        refused = refusal(self.problems, overridden=override)
        if refused:
            self.add_error(None, " ".join(refused))

    @property
    def needs_override(self) -> bool:
        return bool(self.problems) and all(p.overridable for p in self.problems)


def initial_time(raw: str, times: list[ProviderTimes], tz: dt.tzinfo) -> dict:
    """The calendar's `time=HH:MM`: the free slot starting then if one is offered (the
    first provider's by name), else that time as another time."""
    try:
        wanted = dt.time.fromisoformat(raw)
    except ValueError:
        return {}
    for group in times:
        for slot in group.slots:
            if slot.start_at.astimezone(tz).time() == wanted:
                return {"slot": slot.slot_id}
    return {"time": wanted}
