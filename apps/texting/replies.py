"""What a customer's text means: a carrier keyword, an answer to an appointment text,
a numbered choice, or something for a person. Pure: no database.

Carrier keywords match only as the whole message (as Twilio and the CTIA handbook
do): "STOP" opts out, "please stop the drill" is for staff. Twilio's default
opt-out words include CANCEL, so a bare "cancel" is an opt-out here too, never an
appointment cancellation; cancelling by text needs more words ("cancel my
appointment"). Anything negated or unclear goes to staff, never to a cancellation.
"""

import re
import unicodedata
from dataclasses import dataclass

# Twilio's default opt-out keywords (Advanced Opt-Out docs) and the CTIA's STOP ALL.
STOP_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "optout",
        "opt out",
        "revoke",
    }
)
START_WORDS = frozenset({"start", "unstop"})
# YES opts back in at Twilio too; for a number that takes texts it means "confirm".
YES_WORDS = frozenset({"yes", "y", "yes please", "yep", "yeah", "ok", "okay"})
HELP_WORDS = frozenset({"help", "info"})
CONFIRM_WORDS = frozenset(
    {
        "c",
        "confirm",
        "confirmed",
        "i confirm",
        "see you then",
        "see you there",
        "i will be there",
        "ill be there",
        "i'll be there",
        "will be there",
        "👍",
    }
)
RESCHEDULE_PATTERNS = (
    r"^r$",
    r"\bre-?schedule\b",
    r"\b(can ?not|can'?t|cannot|won'?t be able to) make it\b",
    r"\b(move|change|push) (it|my|the|our)\b",
    r"\b(another|different|other|new) (time|day|date)\b",
    r"^can (we|i) do\b",
    r"^how about\b",
)
CANCEL_PATTERNS = (
    r"\bcancel (my|the|our|this|that|it|appt|appointment)\b",
    r"^(please )?cancel\b.+",
    r"\b(need|want|have) to cancel\b",
)
NEGATIONS = re.compile(r"\b(don'?t|do not|not|never|no need to)\b")
CHOICE = re.compile(r"^(?:#|no\.?\s*|option\s*|number\s*)?([1-9])[.)!]?$")
# Monday first, as datetime.weekday() counts; each day's name and its short forms.
WEEKDAYS = (
    ("monday", "mon"),
    ("tuesday", "tue", "tues"),
    ("wednesday", "wed", "weds"),
    ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
MAX_UNDERSTOOD_LENGTH = 160  # longer texts are letters for a person, not commands


@dataclass(frozen=True)
class Reading:
    intent: str  # one of InboundText.Intent's values
    choice: int | None = None  # 1-based, for "choice"
    weekday: int | None = None  # 0 = Monday, for "reschedule" naming a day


def read(body: str) -> Reading:
    """What the text asks for; "other" for anything a person should read."""
    text = normalize(body)
    if not text or len(text) > MAX_UNDERSTOOD_LENGTH:
        return Reading("other")
    if text in STOP_WORDS:
        return Reading("stop")
    if text in START_WORDS:
        return Reading("start")
    if text in HELP_WORDS:
        return Reading("help")
    if text in YES_WORDS or text in CONFIRM_WORDS:
        return Reading("confirm")
    match = CHOICE.match(text)
    if match:
        return Reading("choice", choice=int(match.group(1)))
    if NEGATIONS.search(text):
        return Reading("other")  # "don't cancel", "not Thursday": a person reads it
    if any(re.search(pattern, text) for pattern in CANCEL_PATTERNS):
        return Reading("cancel")
    if any(re.search(pattern, text) for pattern in RESCHEDULE_PATTERNS):
        return Reading("reschedule", weekday=_weekday(text))
    return Reading("other")


def is_yes(body: str) -> bool:
    return normalize(body) in YES_WORDS


def normalize(body: str) -> str:
    """Lower case, one space between words, no punctuation or emoji around them
    (a thumbs-up alone stays, as the whole message)."""
    text = unicodedata.normalize("NFKC", body or "").strip().lower()
    text = text.replace("’", "'")
    if text in CONFIRM_WORDS:
        return text
    text = re.sub(r"[^\w\s'#]", " ", text)
    return " ".join(text.split())


def _weekday(text: str) -> int | None:
    for index, names in enumerate(WEEKDAYS):
        if re.search(rf"\b({'|'.join(names)})\b", text):
            return index
    return None
