from django.core.management.base import BaseCommand, CommandError

from apps.vapi import diagnostics


class Command(BaseCommand):
    help = (
        "Check the configuration end to end (database, broker, OpenAI, email, SMS, "
        "VAPI, each business) and print what is wrong and how to fix it; exits 1 on "
        "any failure. Reads only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--offline",
            action="store_true",
            help="Skip the checks that call VAPI's API.",
        )

    def handle(self, *, offline, **_):
        checks = diagnostics.run_checks(offline=offline)
        for check in checks:
            self.stdout.write(_render(check))
        failures = sum(not check.ok for check in checks)
        warnings = sum(check.warning for check in checks)
        summary = (
            f"{len(checks)} checks: {len(checks) - failures - warnings} passed, "
            f"{warnings} warning(s), {failures} failed."
        )
        self.stdout.write(summary)
        if failures:
            raise CommandError(f"{failures} check(s) failed; see the fixes above.")


def _render(check: diagnostics.Check) -> str:
    if check.ok and not check.warning:
        return f"✓ {check.name}" + (f": {check.detail}" if check.detail else "")
    mark = "!" if check.ok else "✗"
    return f"{mark} {check.name}: {check.problem}\n    fix: {check.fix}"
