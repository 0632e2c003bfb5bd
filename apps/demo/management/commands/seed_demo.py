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

    def handle(self, *, password, **_):
        seed = demo_services.seed_demo_business(password=password)
        verb = "Created" if seed.created else "Already present:"
        self.stdout.write(
            f"{verb} demo business '{seed.business.name}'. "
            f"Staff login: {seed.username} / {seed.password}"
            + ("" if seed.created else " (unless you changed it)")
        )
