"""The es/fr catalogs in locale/ are whole and compiled (README, "Languages").

`make messages` refreshes them; these tests fail when a text Roxy says is missing
from a catalog or untranslated there, or a committed .mo is older than its .po.
"""

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["es", "fr"]
# Entries whose translation may read like the English (the words are the same).
SAME_AS_ENGLISH = {
    ("a 24-hour clock time said aloud: {hour} 0-23, {minute} 00-59", "{hour}:{minute}"),
    (
        "a 12-hour clock time said aloud: {hour} 1-12, {minute} 00-59, {ampm} AM/PM",
        "{hour}:{minute} {ampm}",
    ),
    (None, "%(full_result_count)s total"),
    ("a duration: {hours} 2 hours, {minutes} 30 minutes", "{hours} {minutes}"),
    (None, "{when} with {person} (slot id: {id})"),
    (None, "Confirmation %(code)s."),
}
needs_gettext = pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgfmt")),
    reason="GNU gettext (xgettext, msgfmt) is not installed",
)


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def keys(po: polib.POFile) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated(language):
    po = catalog(language)

    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []
    # A fuzzy header is left out of the .mo, and its plural rule with it.
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == language
    assert po.percent_translated() == 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_not_the_english_left_in_place(language):
    po = catalog(language)

    same = [
        (e.msgctxt, e.msgid)
        for e in po.translated_entries()
        if e.msgstr == e.msgid and (e.msgctxt, e.msgid) not in SAME_AS_ENGLISH
    ]

    assert same == []


@needs_gettext
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_is_compiled_from_the_po(language, tmp_path):
    po_path = LOCALE / language / "LC_MESSAGES" / "django.po"
    fresh = tmp_path / "django.mo"

    # --check: the {placeholders} of each translation match the English's.
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po_path)], check=True)

    committed = po_path.with_suffix(".mo").read_bytes()
    assert committed == fresh.read_bytes(), "stale .mo: run `make messages`"


@needs_gettext
def test_every_text_in_the_code_is_in_the_catalogs(tmp_path, monkeypatch, settings):
    """makemessages over a copy of the code, with `make messages`' options, finds
    nothing the committed catalogs lack (nor anything they keep for nothing)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static")
    for folder in ("apps", "templates", "voicehive"):
        shutil.copytree(
            Path(settings.BASE_DIR) / folder, tmp_path / folder, ignore=ignore
        )
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]

    call_command(
        "makemessages",
        locale=["es"],
        no_location=True,
        no_obsolete=True,
        ignore_patterns=["tests", "bench", "var"],
        verbosity=0,
    )

    found = keys(polib.pofile(str(tmp_path / "locale/es/LC_MESSAGES/django.po")))
    for language in LANGUAGES:
        committed = keys(catalog(language))
        assert found - committed == set(), f"not in {language}: run `make messages`"
        assert committed - found == set(), f"unused in {language}: `make messages`"
