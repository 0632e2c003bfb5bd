from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.demo import services as demo_services

KNOWN_PASSWORD = demo_services.DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Create the demo hair studio, its data and a staff login that manages it; safe to "
        "run again. The login is a manager of the studio, not a superuser, unless you pass "
        "--superuser. Outside DEBUG it refuses the published password "
        f"({KNOWN_PASSWORD}): pass --password, or --allow-known-password."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for the demo login when this run creates it (default: "
            f"{KNOWN_PASSWORD}, which is published). An existing login keeps its "
            "password; change it with `manage.py changepassword "
            f"{demo_services.DEMO_USERNAME}`.",
        )
        parser.add_argument(
            "--allow-known-password",
            action="store_true",
            help=f"Outside DEBUG, use the published password {KNOWN_PASSWORD} anyway "
            "(e.g. on a throwaway demo site).",
        )
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Make the demo login a superuser, who sees every business and may do "
            "anything. Without it, every run makes the login a plain manager of the "
            "studio again.",
        )
        parser.add_argument(
            "--leads",
            type=int,
            default=0,
            help="Also add this many leads, each with a call, and a past visit for every "
            "fifth (for measuring the back office at volume, e.g. 100000).",
        )

    def handle(self, *, password, allow_known_password, superuser, leads, **_):
        password = password or KNOWN_PASSWORD
        if (
            password == KNOWN_PASSWORD
            and not settings.DEBUG
            and not allow_known_password
        ):
            raise CommandError(
                f"Refusing to seed the demo login with the published password "
                f"'{KNOWN_PASSWORD}' outside DEBUG: anyone who has read the README "
                "could sign in. Pass --password with one of your own, or "
                "--allow-known-password if this is a throwaway demo site. Nothing was "
                "written."
            )
        seed = demo_services.seed_demo_business(password=password, superuser=superuser)
        verb = "Created" if seed.created else "Already present:"
        # The second demo (apps/demo/businesses/clinica-sol.yaml) shares the login.
        login = "Superuser login" if superuser else "Staff login"
        summary = (
            f"{verb} demo business '{seed.business.name}' (and the clinic "
            f"'{demo_services.SECOND_SLUG}'). "
            f"{login}: {seed.username} / {seed.password}"
            + ("" if seed.login_created else " (unless you changed it)")
        )
        if leads > 0:
            volume = demo_services.seed_volume(seed.business, leads=leads)
            summary += (
                f" Added {volume.leads} leads, {volume.calls} calls and "
                f"{volume.appointments} appointments."
            )
        self.stdout.write(summary)
