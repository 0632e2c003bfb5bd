"""How much a business's FAQ adds to Roxy's prompt: evidence for the knowledge-base
decision (README, "Roxy's FAQ: in the prompt, capped"). Prints characters and an
estimate of tokens (4 characters a token, OpenAI's rule of thumb for English).

    DEBUG=true .venv/bin/python bench/faq_prompt_size.py
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voicehive.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

QUESTION = "Q: Do you take walk-ins on Saturdays?\nA: Yes, when a chair is free.\n"


def main() -> None:
    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0)
    try:
        from django.utils import timezone

        from apps.demo.services import seed_demo_business
        from apps.roxy.prompts import load_profile, system_prompt

        business = seed_demo_business(password="bench-only").business
        for entries in (0, 10, 50, 100, 400):
            business.faq = QUESTION * entries
            profile = load_profile(business, now=timezone.now())
            prompt = system_prompt(profile, caller_number="+15125550187", lead=None)
            tokens = len(prompt) // 4
            sys.stdout.write(
                f"{entries:4} FAQ entries: {len(prompt):7,} chars, ~{tokens:6,} tokens\n"
            )
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
