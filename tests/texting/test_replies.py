import pytest

from apps.texting.replies import read


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("STOP", "stop"),
        (" Stop. ", "stop"),
        ("CANCEL", "stop"),
        ("stop all", "stop"),
        ("please stop texting me about parking", "other"),
        ("START", "start"),
        ("unstop", "start"),
        ("INFO", "help"),
        ("C", "confirm"),
        ("Confirmed!", "confirm"),
        ("I’ll be there", "confirm"),
        ("R", "reschedule"),
        ("I can't make it", "reschedule"),
        ("can we do Thursday?", "reschedule"),
        ("cancel my appt", "cancel"),
        ("I need to cancel", "cancel"),
        ("don't cancel!", "other"),
        ("#2", "choice"),
        ("2.", "choice"),
        ("option 3", "choice"),
        ("", "other"),
        ("🎉", "other"),
        ("reschedule " * 40, "other"),
    ],
)
def test_read(said, intent):
    assert read(said).intent == intent


def test_a_named_weekday_is_kept():
    assert read("can we do thurs").weekday == 3


def test_the_choice_number_is_kept():
    assert read("#2").choice == 2
