"""Lenient matching of what the caller (or the model) said to a service or person.

The model passes names as it heard or guessed them: 'haircuts', 'haircut_and_color',
'haircut and colour', 'Color', 'maria'. Matching ignores case, punctuation,
underscores and plurals, then accepts a spelling a letter or two off ('colour'),
then falls back to 'contains' and finally to fuzzy similarity, and reports ambiguity
instead of guessing between two equally good candidates.
"""

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

_NON_WORD = re.compile(r"[^\w]+|_")
FUZZY_CUTOFF = 0.75
# Spellings this close are one name ('colour'/'color', 'hair cut & colour'): checked
# before the looser steps, which would find every name sharing a word ('haircut').
NEAR_CUTOFF = 0.9
_FILLER = frozenset({"and", "with", "a", "the"})


@dataclass(frozen=True)
class Match(Generic[T]):
    found: T | None
    # When nothing (or more than one thing) matched: the candidates worth offering.
    options: list[T] = field(default_factory=list)


def normalize_name(text: str) -> str:
    """Lower-case words, no punctuation or underscores, each word singular."""
    words = _NON_WORD.sub(" ", text.casefold()).split()
    # "men's" splits into "men" and "s"; the stray "s" would match anything.
    return " ".join(_singular(word) for word in words if word != "s")


def match_name(
    text: str, candidates: Sequence[T], *, key: Callable[[T], str] = str
) -> Match[T]:
    """The one candidate whose name best fits `text`, or the options to ask about."""
    wanted = normalize_name(text)
    if not wanted:
        return Match(None, list(candidates))
    names = [(candidate, normalize_name(key(candidate))) for candidate in candidates]
    for test in (
        _same,
        _same_compact,
        _same_words,
        _nearly_same,
        _contains,
        _shares_a_word,
    ):
        hits = [candidate for candidate, name in names if test(wanted, name)]
        if len(hits) == 1:
            return Match(hits[0])
        if len(hits) > 1:
            return Match(None, hits)
    return _fuzzy(wanted, names, candidates)


def _fuzzy(wanted: str, names: list, candidates: Sequence[T]) -> Match[T]:
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, wanted, name).ratio(), i)
            for i, (_, name) in enumerate(names)
        ),
        reverse=True,
    )
    good = [(score, i) for score, i in scored if score >= FUZZY_CUTOFF]
    if len(good) == 1 or (len(good) > 1 and good[0][0] - good[1][0] >= 0.1):
        return Match(names[good[0][1]][0])
    return Match(None, [names[i][0] for _, i in good] or list(candidates))


def _same(wanted: str, name: str) -> bool:
    return wanted == name


def _same_compact(wanted: str, name: str) -> bool:
    return wanted.replace(" ", "") == name.replace(" ", "")


def _same_words(wanted: str, name: str) -> bool:
    return set(wanted.split()) - _FILLER == set(name.split()) - _FILLER


def _nearly_same(wanted: str, name: str) -> bool:
    def letters(text: str) -> str:
        return "".join(word for word in text.split() if word not in _FILLER)

    said, written = letters(wanted), letters(name)
    ratio = difflib.SequenceMatcher(None, said, written).ratio()
    return bool(said and written) and ratio >= NEAR_CUTOFF


def _contains(wanted: str, name: str) -> bool:
    return f" {wanted} " in f" {name} " or f" {name} " in f" {wanted} "


def _shares_a_word(wanted: str, name: str) -> bool:
    stop = {"and", "with", "a", "the", "appointment", "service"}
    return bool((set(wanted.split()) & set(name.split())) - stop)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
