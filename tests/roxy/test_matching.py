import pytest

from apps.roxy.matching import match_name, normalize_name

SERVICES = ["Haircut", "Haircut and color", "Blowout", "Men's cut", "Color correction"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haircut_and_color", "haircut and color"),
        ("Men's Cuts", "men cut"),
        ("BLOW-OUTS", "blow out"),
        ("beauties", "beauty"),
        ("classes", "class"),
    ],
)
def test_normalize_name(text, expected):
    assert normalize_name(text) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("haircut", "Haircut"),
        ("HAIRCUTS", "Haircut"),
        ("haircut_and_color", "Haircut and color"),
        ("Haircut_And_Color", "Haircut and color"),
        ("HAIRCUT AND COLOR", "Haircut and color"),
        ("haircut and colour", "Haircut and color"),
        ("hair cut & colour", "Haircut and color"),
        ("color and haircut", "Haircut and color"),
        ("colour correction", "Color correction"),
        ("blow out", "Blowout"),
        ("mens cut", "Men's cut"),
        ("correction", "Color correction"),
        ("blowot", "Blowout"),
    ],
)
def test_match_name_is_lenient(said, expected):
    assert match_name(said, SERVICES).found == expected


def test_an_ambiguous_name_offers_the_candidates():
    match = match_name("color", SERVICES)

    assert match.found is None
    assert match.options == ["Haircut and color", "Color correction"]


def test_nothing_close_offers_everything():
    match = match_name("massage", SERVICES)

    assert match.found is None
    assert match.options == SERVICES


def test_key_reads_names_from_objects():
    class Person:
        def __init__(self, name):
            self.name = name

    maria, jess = Person("Maria Lopez"), Person("Jess")

    assert match_name("maria", [maria, jess], key=lambda p: p.name).found is maria


def test_an_exact_spelling_wins_over_a_near_one():
    match = match_name("colour", ["Color", "Colour"])

    assert match.found == "Colour"


def test_names_a_model_sends_as_identifiers_find_the_names_people_wrote():
    menu = ["Haircut", "Haircut and color", "Blowout", "Balayage", "Bridal styling"]

    for said, expected in [
        ("haircut", "Haircut"),
        ("haircut_and_color", "Haircut and color"),
        ("blowout", "Blowout"),
        ("balayage", "Balayage"),
        ("bridal", "Bridal styling"),
    ]:
        assert match_name(said, menu).found == expected, said
