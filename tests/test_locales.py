"""Translations: every catalogue complete, placeholders intact, Latvian plurals right."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.i18n import LOCALES, LOCALES_DIR, gettext, ngettext

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
