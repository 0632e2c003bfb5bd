from django.core.management.base import BaseCommand

from apps.businesses.command_options import business_from_slug
from apps.calls import post_call
from apps.calls.analysis import PROMPT_VERSION
from apps.calls.models import Call
from apps.core.command_options import add_window_arguments, window

# What an analysis can have ended in; PENDING calls are already on their way.
RERUNNABLE = [
    Call.AnalysisStatus.FAILED,
    Call.AnalysisStatus.SKIPPED,
    Call.AnalysisStatus.COMPLETED,
    Call.AnalysisStatus.NOT_STARTED,
]


class Command(BaseCommand):
    help = (
        "Queue post-call analysis again for ended calls chosen by time window, business, "
        "analysis status (e.g. the failed and skipped ones) or the prompt version they "
        f"were analysed with (current: {PROMPT_VERSION})."
    )

    def add_arguments(self, parser):
        add_window_arguments(parser, default_since="1d")
        parser.add_argument(
            "--business", metavar="SLUG", help="Only this business's calls."
        )
        parser.add_argument(
            "--prompt-version",
            metavar="VERSION",
            help="Only calls analysed with this prompt version (e.g. an older one, or 'vapi').",
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=RERUNNABLE,
            help="Only calls whose analysis ended so (repeat for several): failed and "
            "skipped calls have no prompt version, so --prompt-version never picks them.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the calls, queue nothing."
        )

    def handle(self, *, since, until, business, prompt_version, status, dry_run, **_):
        start, end = window(since, until)
        calls = Call.objects.ended().filter(created_at__lt=end)
        if start:
            calls = calls.filter(created_at__gte=start)
        if business:
            calls = calls.filter(business=business_from_slug(business))
        if prompt_version:
            calls = calls.filter(prompt_version=prompt_version)
        if status:
            calls = calls.filter(analysis_status__in=status)
        if dry_run:
            self.stdout.write(f"Would queue {calls.count()} call(s) for analysis.")
            return
        queued = post_call.request_reanalysis(calls)
        self.stdout.write(
            f"Queued {queued} call(s) for analysis with prompt {PROMPT_VERSION}."
        )
