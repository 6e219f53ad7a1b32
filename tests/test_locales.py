"""Translations: every catalogue complete, placeholders intact, Latvian plurals right."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.i18n import BUTTON, BUTTON_LIMIT, LOCALES, LOCALES_DIR, gettext, ngettext, pgettext

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def catalogue(locale: str):
    path = Path(LOCALES_DIR) / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def template_ids() -> set:
    with (Path(LOCALES_DIR) / "messages.pot").open("rb") as source:
        return {m.id for m in read_po(source) if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_with_its_placeholders(locale):
    problems = []
    messages = [m for m in catalogue(locale) if m.id]
    assert {m.id for m in messages} >= template_ids(), "run `make messages`"
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for string in strings:
            if not string:
                problems.append(f"untranslated: {ids[0]!r}")
            elif set(PLACEHOLDER.findall(string)) != expected:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == []


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 signālu"),
        (1, "1 signāls"),
        (2, "2 signāli"),
        (10, "10 signālu"),
        (11, "11 signālu"),
        (21, "21 signāls"),
    ],
)
def test_latvian_plurals_follow_cldr_zero_one_other(n, expected):
    assert ngettext("{n} signal", "{n} signals", n, "lv") == expected


def test_russian_plurals():
    forms = [ngettext("{n} signal", "{n} signals", n, "ru") for n in (1, 2, 5, 11, 21)]
    assert forms == ["1 сигнал", "2 сигнала", "5 сигналов", "11 сигналов", "21 сигнал"]


def test_unknown_language_falls_back_to_latvian():
    assert gettext("Unexcused absences", "de") == "Neattaisnoti kavējumi"
    assert gettext("Unexcused absences", "uk-UA") == "Пропуски без поважної причини"


def translations(locale: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every string of a catalogue, each plural form on its own."""
    pairs = []
    for message in catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(ids[0], string) for string in strings]
    return pairs


# Each language quotes one way: „…“ in Latvian, «…» in Russian and Ukrainian.
QUOTES = {
    "lv": (re.compile(r"„[^„“”«»\"]*“"), re.compile(r"[„“”«»\"]")),
    "ru": (re.compile(r"«[^«»„“”\"]*»"), re.compile(r"[«»„“”\"]")),
    "uk": (re.compile(r"«[^«»„“”\"]*»"), re.compile(r"[«»„“”\"]")),
}


@pytest.mark.parametrize("locale", QUOTES)
def test_one_quote_style_per_language(locale):
    quoted, quote = QUOTES[locale]
    stray = [s for _, s in translations(locale) if quote.search(quoted.sub("", s))]
    assert stray == []


# "Riska grupa" names the four official categories only: a student "at risk" has risk signals.
RISK_GROUP_WORDING = {
    "lv": re.compile(r"riska grup", re.IGNORECASE),
    "ru": re.compile(r"групп\w* риска", re.IGNORECASE),
    "uk": re.compile(r"груп\w* ризику", re.IGNORECASE),
}
AT_RISK = re.compile(r"\bat risk\b", re.IGNORECASE)


@pytest.mark.parametrize("locale", RISK_GROUP_WORDING)
def test_students_at_risk_are_not_called_a_risk_group(locale):
    wrong = [
        s
        for msgid, s in translations(locale)
        if AT_RISK.search(msgid) and RISK_GROUP_WORDING[locale].search(s)
    ]
    assert wrong == []


# Formal "Jūs"/"Вы"/"Ви" takes the plural form: no masculine singular past participle or verb.
MASCULINE_TO_YOU = {
    "lv": re.compile(r"\b(?:Jūs|esat)\s+(?:esat\s+|jau\s+)?\w+(?:jis|jies)\b"),
    "ru": re.compile(r"\bВы\s+(?:уже\s+|ещё\s+)?\w+л(?:ся)?\b"),
    "uk": re.compile(r"\bВи\s+(?:вже\s+|ще\s+)?\w+в(?:ся)?\b"),
}


@pytest.mark.parametrize("locale", MASCULINE_TO_YOU)
def test_the_formal_you_is_not_addressed_as_one_man(locale):
    wrong = [s for _, s in translations(locale) if MASCULINE_TO_YOU[locale].search(s)]
    assert wrong == []


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("lv", "Jūs esat pievienojies kā: Pedagogs."),
        ("lv", "Jūs jau esat ierakstījis šo."),
        ("ru", "Вы присоединился."),
        ("uk", "Ви приєднався."),
    ],
)
def test_the_masculine_pattern_catches_what_it_is_for(locale, text):
    assert MASCULINE_TO_YOU[locale].search(text)


def test_the_quote_and_risk_patterns_catch_what_they_are_for():
    quoted, quote = QUOTES["lv"]
    assert quote.search(quoted.sub("", "nospiediet “Gatavs”"))
    assert not quote.search(quoted.sub("", "nospiediet „Gatavs“"))
    assert RISK_GROUP_WORDING["ru"].search("ученики в группе риска")


def catalogue_entries() -> list:
    from core import catalogues

    found = [v for v in vars(catalogues).values() if isinstance(v, catalogues.Catalogue)]
    return [entry for catalogue_ in found for entry in catalogue_]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_button_label_fits_a_phone(locale):
    """Catalogue entries as buttons (their short label if any) and every "button" msgid."""
    too_long = [
        text
        for entry in catalogue_entries()
        if len(text := entry.button_text(locale)) > BUTTON_LIMIT
    ]
    too_long += [
        message.string or message.id
        for message in catalogue(locale)
        if message.context == BUTTON and len(message.string or message.id) > BUTTON_LIMIT
    ]
    assert too_long == []


def test_buttons_have_their_own_context_and_plans_keep_the_official_name():
    [personal] = [e for e in catalogue_entries() if e.code == "personal_items"]
    assert len(personal.text("lv")) > BUTTON_LIMIT  # the plan and the PDF print this one
    assert personal.button_text("lv") == "Apģērbs un higiēna"
    assert pgettext(BUTTON, "Refuse", "lv") == "Nepiekrist"
    assert any(m.context == BUTTON for m in catalogue("ru"))
