from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.blueprints import apply as blueprint_apply
from apps.blueprints import fileformat
from apps.blueprints.numbers import point_numbers_at_voicehive


class Command(BaseCommand):
    help = (
        "Bring a business live from its file (YAML): create or update it, changing "
        "only what differs, then point its VAPI numbers at VoiceHive (when "
        "VAPI_API_KEY is set). --dry-run prints the changes and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The business file, e.g. businesses/acme.yaml")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the changes; write nothing."
        )
        parser.add_argument(
            "--skip-vapi",
            action="store_true",
            help="Do not touch the numbers at VAPI (e.g. a local demo).",
        )

    def handle(self, *, file, dry_run, skip_vapi, **_):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            plan = blueprint_apply.apply_file(text, dry_run=dry_run)
        except fileformat.BlueprintError as exc:
            raise CommandError(
                f"{file} is not a valid business file:\n"
                + "\n".join(f"  {file}:{e.removeprefix('line ')}" for e in exc.errors)
            ) from exc
        for change in plan.changes:
            self.stdout.write(f"  {change}")
        if not skip_vapi:
            for line in point_numbers_at_voicehive(plan.business, dry_run=dry_run):
                self.stdout.write(f"  {line}")
        verb = "Would apply" if dry_run else "Applied"
        self.stdout.write(
            f"{verb} {len(plan.changes)} change(s) to {plan.business.slug}"
            + (" (new business)." if plan.created else ".")
        )
