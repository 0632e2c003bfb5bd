import random

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from apps.appointments.models import Service
from apps.businesses.models import Business, VapiPhoneNumber
from apps.vapi import simulation

CALLER_NAMES = [
    "Dana Whitfield",
    "Marcus Lee",
    "Priya Raman",
    "Sofia Alvarez",
    "Jordan Kim",
]


class Command(BaseCommand):
    help = (
        "Play one realistic VAPI call through the webhook (in process, or --url over "
        "HTTP) and print what was recorded. Writes to the database; needs "
        "VAPI_WEBHOOK_SECRET (or VAPI_HMAC_SECRET)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--business",
            help="Business slug (default: the first active business with a VAPI number).",
        )
        parser.add_argument(
            "--scenario", choices=simulation.SCENARIOS, default="booking"
        )
        parser.add_argument(
            "--caller",
            help="Caller's E.164 number (default: a random 555-01xx number).",
        )
        parser.add_argument("--caller-name", help="Caller's name (default: random).")
        parser.add_argument(
            "--service", help="Service to book (default: the business's shortest)."
        )
        parser.add_argument(
            "--url", help="Send over HTTP to this webhook URL instead of in process."
        )

    def handle(self, *, business, scenario, caller, caller_name, service, url, **_):
        line = _phone_number(business)
        transport = _transport(url)
        simulator = simulation.CallSimulator(
            transport,
            phone_number_id=line.vapi_phone_number_id,
            phone_number=line.number,
            phone_label=line.label,
            caller=simulation.Caller(
                number=caller or f"+1512555{random.randint(100, 199):04d}",
                name=caller_name or random.choice(CALLER_NAMES),
            ),
            service=_service_name(line.business, service),
        )
        self.stdout.write(
            f"Simulating a {scenario} call to {line.business.name} ({line.number}) "
            f"{'at ' + url if url else 'in process'}:"
        )
        result = simulator.run(scenario)
        self._write_steps(result)
        self._write_recorded(simulation.load_recorded(result.call_id))
        self._finish(result)

    def _write_steps(self, result: simulation.SimulationResult) -> None:
        for number, step in enumerate(result.steps, start=1):
            mark = "" if step.ok else "  <-- UNEXPECTED"
            self.stdout.write(
                f"{number:>3}. {step.label} → {step.status or 'no answer'} → "
                f"{step.answer}{mark}"
            )

    def _write_recorded(self, recorded: simulation.RecordedCall) -> None:
        call = recorded.call
        if call is None:
            self.stdout.write(
                "Recorded: no such call in this database "
                f"({recorded.events} webhook events); was --url another server?"
            )
            return
        duration = f"{call.duration_seconds}s" if call.duration_seconds else "-"
        self.stdout.write(
            f"Call {call.pk} ({call.vapi_call_id}): {call.status}, {duration}, "
            f"ended: {call.ended_reason or '-'}, analysis: {call.analysis_status}, "
            f"transcript: {len(call.transcript.splitlines())} lines"
        )
        lead = recorded.lead
        if lead is not None:
            self.stdout.write(
                f"Lead {lead.pk}: {lead.name or '(no name)'}, {lead.phone}, {lead.status}"
            )
        for appointment in recorded.appointments:
            local = appointment.start_at.astimezone(call.business.tzinfo)
            self.stdout.write(
                f"Appointment {appointment.pk}: {appointment.service.name} with "
                f"{appointment.provider.name}, {local:%a %d %b %Y %H:%M %Z}, "
                f"{appointment.status}"
            )
        self.stdout.write(
            f"Webhook events: {recorded.events}, tool invocations: "
            f"{recorded.tool_invocations}"
        )
        for link in _admin_links(recorded):
            self.stdout.write(f"  {link}")

    def _finish(self, result: simulation.SimulationResult) -> None:
        summary = (
            f"{result.scenario} call {result.call_id}: {len(result.steps)} messages"
        )
        if not result.ok:
            labels = ", ".join(step.label for step in result.failures)
            raise CommandError(f"{summary}, {len(result.failures)} failed: {labels}.")
        self.stdout.write(self.style.SUCCESS(f"{summary}, all answered as expected."))


def _phone_number(slug: str | None) -> VapiPhoneNumber:
    numbers = VapiPhoneNumber.objects.select_related("business").order_by("pk")
    if slug:
        business = Business.objects.filter(slug=slug).first()
        if business is None:
            raise CommandError(f"No business with slug {slug!r}.")
        number = numbers.filter(business=business).first()
        if number is None:
            raise CommandError(f"{business.name} has no VAPI phone number.")
        return number
    number = numbers.filter(business__is_active=True).first()
    if number is None:
        raise CommandError(
            "No active business with a VAPI phone number: run `manage.py seed_demo`."
        )
    return number


def _service_name(business: Business, wanted: str | None) -> str:
    if wanted:
        return wanted
    services = Service.objects.filter(business=business, is_active=True)
    first = services.order_by("duration_minutes", "name").first()
    return first.name if first else ""


def _transport(url: str | None) -> simulation.Transport:
    try:
        credential = simulation.WebhookCredential.from_settings()
    except simulation.SimulationError as exc:
        raise CommandError(str(exc)) from exc
    if url:
        return simulation.HttpTransport(url, credential)
    return simulation.InProcessTransport(credential)


def _admin_links(recorded: simulation.RecordedCall) -> list[str]:
    call = recorded.call
    links = [
        reverse("admin:calls_call_change", args=[call.pk]),
        reverse("admin:calls_webhookevent_changelist")
        + f"?vapi_call_id={call.vapi_call_id}",
        reverse("admin:calls_toolinvocation_changelist") + f"?call={call.pk}",
    ]
    if recorded.lead is not None:
        links.append(reverse("admin:leads_lead_change", args=[recorded.lead.pk]))
    links += [
        reverse("admin:appointments_appointment_change", args=[a.pk])
        for a in recorded.appointments
    ]
    return links
