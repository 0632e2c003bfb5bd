import subprocess
import sys

from django.conf import settings


def test_gunicorn_workers_load_every_view_and_freeze_it_out_of_the_collectors_reach():
    # A fresh interpreter: the import freezes whatever the process holds.
    probe = (
        "import gc, sys, voicehive.wsgi; "
        "print(gc.get_freeze_count(), 'apps.vapi.api.views' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={"SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
    )

    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 100_000
    assert views_loaded == "True"
