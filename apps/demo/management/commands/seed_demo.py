from django.core.management.base import BaseCommand

from apps.demo import services as demo_services


class Command(BaseCommand):
    help = "Create the demo hair studio, its data and a staff login; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default="roxy-demo",
            help="Password for the demo staff login when it is first created (default: roxy-demo).",
        )
        parser.add_argument(
            "--leads",
            type=int,
            default=0,
            help="Also add this many leads, each with a call, and a past visit for every "
            "fifth (for measuring the back office at volume, e.g. 100000).",
        )

    def handle(self, *, password, leads, **_):
        seed = demo_services.seed_demo_business(password=password)
        verb = "Created" if seed.created else "Already present:"
        summary = (
            f"{verb} demo business '{seed.business.name}'. "
            f"Staff login: {seed.username} / {seed.password}"
            + ("" if seed.created else " (unless you changed it)")
        )
        if leads > 0:
            volume = demo_services.seed_volume(seed.business, leads=leads)
            summary += (
                f" Added {volume.leads} leads, {volume.calls} calls and "
                f"{volume.appointments} appointments."
            )
        self.stdout.write(summary)
