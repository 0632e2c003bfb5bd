from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.db.models.base import ModelBase

from apps.core import probes


class Command(BaseCommand):
    help = (
        "Check the configuration end to end: every `check --deploy` check, then live "
        "probes of the database, broker, VAPI and each business; print what is wrong "
        "and how to fix it; exits 1 on any error. Reads only."
    )
    # It runs the system checks itself, to report them as it reports the probes.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--offline",
            action="store_true",
            help="Skip the probes that call VAPI's API.",
        )

    def handle(self, *, offline, **_):
        issues = _visible(checks.run_checks(include_deployment_checks=True))
        results = sorted(issues, key=lambda m: m.id or "") or [
            checks.Info("System checks (check --deploy): no issues")
        ]
        # Each business's lines together, after the ones about the whole setup.
        results += sorted(
            _visible(probes.run_probes(offline=offline)),
            key=lambda m: (m.obj is not None, str(m.obj or "")),
        )
        for message in results:
            self.stdout.write(_render(message))
        failures = sum(m.level >= checks.ERROR for m in results)
        warnings = sum(checks.WARNING <= m.level < checks.ERROR for m in results)
        passes = len(results) - failures - warnings
        summary = (
            f"{len(results)} checks: {passes} passed, {warnings} warning(s), "
            f"{failures} failed."
        )
        self.stdout.write(summary + (" VAPI not asked (--offline)." if offline else ""))
        if failures:
            raise CommandError(f"{failures} check(s) failed; see the fixes above.")


def _visible(messages: list[checks.CheckMessage]) -> list[checks.CheckMessage]:
    return [m for m in messages if not m.is_silenced()]


def _render(message: checks.CheckMessage) -> str:
    parts = [_mark(message.level), message.id, _subject(message.obj), message.msg]
    line = " ".join(part for part in parts if part)
    return line + (f"\n    fix: {message.hint}" if message.hint else "")


def _mark(level: int) -> str:
    if level >= checks.ERROR:
        return "✗"
    return "!" if level >= checks.WARNING else "✓"


def _subject(obj: object) -> str:
    if obj is None:
        return ""
    return f"{obj._meta.label if isinstance(obj, ModelBase) else obj}:"
