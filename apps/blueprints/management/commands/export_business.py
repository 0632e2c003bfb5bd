from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.blueprints.export import export_business
from apps.businesses.models import Business


class Command(BaseCommand):
    help = "Write a business as its file (the format apply_business reads)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The business's slug.")
        parser.add_argument("--output", help="A file to write (default: stdout).")

    def handle(self, *, slug, output, **_):
        business = Business.objects.filter(slug=slug).first()
        if business is None:
            raise CommandError(f"No business with slug {slug!r}.")
        text = export_business(business)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
