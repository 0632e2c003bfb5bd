"""Moving an appointment from the calendar: another provider, day or time, with an
explicit override for a time Roxy would not offer."""

import datetime as dt

from django import forms
from django.db.models import Q

from apps.appointments.bookability import Problem, problems_with, refusal
from apps.appointments.models import Appointment, Provider


class MoveForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.none())
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
    )
    override = forms.BooleanField(required=False, label="Book anyway")

    def __init__(self, *args, appointment: Appointment, **kwargs):
        local = appointment.start_at.astimezone(appointment.business.tzinfo)
        kwargs.setdefault(
            "initial",
            {"provider": appointment.provider_id, "date": local.date(), "time": local},
        )
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.problems: list[Problem] = []
        self.fields["provider"].queryset = Provider.objects.filter(
            business_id=appointment.business_id
        ).filter(Q(is_active=True) | Q(pk=appointment.provider_id))

    @property
    def problem_codes(self) -> str:
        return ",".join(sorted(problem.code for problem in self.problems))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not self.appointment.is_active:
            raise forms.ValidationError(
                f"This appointment is {self.appointment.get_status_display().lower()} "
                "and can't be moved."
            )
        cleaned["start_at"] = self._start_at(cleaned["date"], cleaned["time"])
        problems = problems_with(
            self.appointment.service,
            provider=cleaned["provider"],
            start_at=cleaned["start_at"],
            ignoring=self.appointment,
        )
        if all(problem.overridable for problem in problems):
            # Only what "Book anyway" can lift is offered for it.
            self.problems = problems
        refused = refusal(
            problems, overridden=bool(self.problems) and self._overridden()
        )
        if refused:
            raise forms.ValidationError(refused)
        return cleaned

    def _start_at(self, day: dt.date, time: dt.time) -> dt.datetime:
        tz = self.appointment.business.tzinfo
        start_at = dt.datetime.combine(day, time.replace(second=0, microsecond=0), tz)
        # A time skipped when the clocks go forward would silently become another.
        if start_at.astimezone(dt.UTC).astimezone(tz).time() != start_at.time():
            raise forms.ValidationError(
                f"{time:%H:%M} does not exist on that day: the clocks go forward."
            )
        return start_at

    def _overridden(self) -> bool:
        """Ticked, and for the very problems shown when it was offered: a time
        changed after that needs its own look."""
        shown = set(self.data.get("acknowledged", "").split(","))
        return (
            self.cleaned_data["override"]
            and set(self.problem_codes.split(",")) <= shown
        )
