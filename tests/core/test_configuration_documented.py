"""Every environment variable the settings read is documented for operators."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (ROOT / "voicehive" / "settings.py").read_text()
READ = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS))


def test_settings_read_some_variables():
    assert {"SECRET_KEY", "DATABASE_URL", "VAPI_WEBHOOK_SECRET"} <= READ


def test_every_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert sorted(READ - documented) == []


def test_every_variable_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert sorted(name for name in READ if f"`{name}`" not in readme) == []
