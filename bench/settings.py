"""Settings for the load benchmark: production settings plus the bench-only baseline URL.

run.py sets DATABASE_URL (from BENCH_DATABASE_URL), SECRET_KEY and the webhook
secret in the environment before this module is imported, in its own process and
in gunicorn's.
"""

from voicehive.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
