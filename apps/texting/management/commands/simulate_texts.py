from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from apps.businesses.models import Business, VapiPhoneNumber
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.texting import simulation


class Command(BaseCommand):
    help = (
        "Play a text conversation as Twilio would send it (in process, or --url over "
        "HTTP): a reminder goes out, the customer answers, the replies are printed. "
        "Writes to the database (books a visit if the customer has none)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--business", help="Business slug (default: the first).")
        parser.add_argument(
            "--customer",
            default="+15125550177",
            help="The customer's mobile, E.164 (default +15125550177).",
        )
        parser.add_argument(
            "messages",
            nargs="*",
            default=["reschedule", "2"],
            help='What the customer texts, in order (default: "reschedule" "2").',
        )
        parser.add_argument(
            "--url",
            help="Post to this incoming-text URL over HTTP (signed with "
            "TWILIO_AUTH_TOKEN) instead of in process.",
        )

    def handle(self, *, business, customer, messages, url, **_):
        line = _line(business)
        try:
            customer = normalize_phone(customer)
        except InvalidPhoneError as exc:
            raise CommandError(f"--customer: {exc}") from exc
        token = settings.TWILIO_AUTH_TOKEN or simulation.DEV_AUTH_TOKEN
        if url and not settings.TWILIO_AUTH_TOKEN:
            raise CommandError(
                "--url needs TWILIO_AUTH_TOKEN, as the server checks it."
            )
        with override_settings(TWILIO_AUTH_TOKEN=token):
            self._play(line, customer, messages, url, token)

    def _play(self, line, customer, messages, url, token):
        appointment = simulation.ensure_appointment(line.business, customer)
        simulation.send_reminder(appointment)
        self.stdout.write(
            f"Reminder queued to {customer} for appointment {appointment.pk}."
        )
        post = simulation.over_http(url, token) if url else simulation.in_process(token)
        for body, status, replies in simulation.play(
            post, business_number=line.number, customer=customer, messages=messages
        ):
            self.stdout.write(f"> {body}  [HTTP {status}]")
            for reply in replies:
                self.stdout.write(f"< {reply}")
        appointment.refresh_from_db()
        self.stdout.write(
            f"Appointment {appointment.pk}: {appointment.get_status_display()} at "
            f"{appointment.start_at.astimezone(line.business.tzinfo):%Y-%m-%d %H:%M %Z}."
        )


def _line(slug: str | None) -> VapiPhoneNumber:
    businesses = Business.objects.active()
    if slug:
        businesses = businesses.filter(slug=slug)
    line = (
        VapiPhoneNumber.objects.filter(business__in=businesses)
        .exclude(number="")
        .select_related("business")
        .order_by("pk")
        .first()
    )
    if line is None:
        raise CommandError("No active business with a phone number; run seed_demo.")
    return line
