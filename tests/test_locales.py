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


# Formal "Jūs"/"Вы"/"Ви" is not called "sure", "ready" or "registered" in one person's form either
# (lv -ts/-ta, ru уверен, uk впевнений): the plural form reads right for everyone.
MASCULINE_SHORT_FORM_TO_YOU = {
    "lv": re.compile(
        r"\b(?:Jūs|esat)\s+(?:esat\s+|jau\s+|vēl\s+|arī\s+)*\w+(?:ts|ta|usi|usies|gatavs|drošs)\b"
    ),
    "ru": re.compile(
        r"\bВы\s+(?:уже\s+|ещё\s+|не\s+)*(?:\w+(?:ан|ян|ен|ён|ин|ый|ий|ой)|готов|должен|рад)\b"
    ),
    "uk": re.compile(
        r"\bВи\s+(?:вже\s+|ще\s+|не\s+)*(?:\w+(?:ний|тий|вий|лий|ен)|повинен|згоден|радий)\b"
    ),
}


@pytest.mark.parametrize("locale", MASCULINE_SHORT_FORM_TO_YOU)
def test_the_formal_you_is_not_sure_or_ready_as_one_man(locale):
    wrong = [s for _, s in translations(locale) if MASCULINE_SHORT_FORM_TO_YOU[locale].search(s)]
    assert wrong == []


@pytest.mark.parametrize(
    ("locale", "text", "caught"),
    [
        ("lv", "Vai Jūs esat pārliecināts?", True),
        ("lv", "Jūs esat reģistrēta.", True),
        ("lv", "Jūs izvēlēsieties mēnešus.", False),
        ("lv", "Jūs saskaņojāt plānu.", False),
        ("ru", "Вы уверен?", True),
        ("ru", "Вы зарегистрирован.", True),
        ("ru", "Вы уверены?", False),
        ("ru", "Вы действительно хотите?", False),
        ("uk", "Ви впевнений?", True),
        ("uk", "Ви повинен підписати.", True),
        ("uk", "Ви впевнені?", False),
        ("uk", "Ви справді хочете?", False),
    ],
)
def test_the_short_form_pattern_catches_what_it_is_for(locale, text, caught):
    assert bool(MASCULINE_SHORT_FORM_TO_YOU[locale].search(text)) is caught


# One apostrophe (’) and no straight quotes: "'" never appears in lv, ru or uk.
STRAIGHT_APOSTROPHE = re.compile(r"['ʼ`]")


@pytest.mark.parametrize("locale", ["lv", "ru", "uk"])
def test_one_apostrophe_and_no_straight_single_quotes(locale):
    wrong = [s for _, s in translations(locale) if STRAIGHT_APOSTROPHE.search(s)]
    assert wrong == []


def test_the_apostrophe_pattern_catches_what_it_is_for():
    assert STRAIGHT_APOSTROPHE.search("Стан здоров'я")
    assert STRAIGHT_APOSTROPHE.search("Стан здоровʼя")
    assert STRAIGHT_APOSTROPHE.search("Saglabāts: 'Nometne'")
    assert not STRAIGHT_APOSTROPHE.search("Стан здоров’я")


# Words a locale has settled on: each entry names what is wrong and what to say instead.
AVOIDED_WORDS = {
    "lv": [
        # taps: one verb, "Nospiediet"
        re.compile(r"\b(?:pieskarieties|uzspiediet|spiediet|klikšķiniet|noklikšķiniet)\b", re.I),
        re.compile(r"\bTelegrammā\b"),  # "Telegramā"
    ],
    "ru": [
        re.compile(r"\bОтозван", re.I),  # "Withdrawn" is "Неактивен", as the official "Neaktīvs"
    ],
    "uk": [
        re.compile(r"самоврядуван", re.I),  # "муніципалітет"
        re.compile(r"\bфактор", re.I),  # "чинник"
        re.compile(r"відміт|відміч", re.I),  # "позначити"
        re.compile(r"\bвиберіть\b", re.I),  # one of the two: "Оберіть"
        re.compile(r"\bдійсно\b", re.I),  # "справді"
    ],
}


def avoided(locale: str, pairs: list[tuple[str, str]]) -> list[str]:
    return [s for _, s in pairs if any(p.search(s) for p in AVOIDED_WORDS[locale])]


@pytest.mark.parametrize("locale", AVOIDED_WORDS)
def test_words_each_language_has_settled_on(locale):
    assert avoided(locale, translations(locale)) == []


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("lv", "Pieskarieties pogai."),
        ("lv", "Nevar sazināties Telegrammā."),
        ("ru", "Отозван"),
        ("uk", "Самоврядування з такою назвою вже є."),
        ("uk", "Невідомий фактор ризику."),
        ("uk", "У якій школі відмітити пропуски?"),
        ("uk", "Виберіть підсумок."),
    ],
)
def test_the_avoided_words_are_caught(locale, text):
    assert avoided(locale, [("", text)]) == [text]


# A term in the English text asks for the glossary's term in each translation (DOMAIN.md).
PLACEHOLDERS_AND_COMMANDS = re.compile(r"\{\w*\}|/\w+|\b\w+-<id>")
GLOSSARY = [
    (
        re.compile(r"\bat risk\b(?! of| in)", re.I),
        {"lv": r"riska signāl", "ru": r"сигнал\w* риска", "uk": r"сигнал\w* ризику"},
    ),
    (
        re.compile(r"\bmunicipalit", re.I),
        {"lv": r"pašvaldīb", "ru": r"самоуправлени", "uk": r"муніципалітет"},
    ),
    (
        re.compile(r"\bfactor\b", re.I),
        {"lv": r"faktor", "ru": r"фактор", "uk": r"чинник"},
    ),
    (
        re.compile(r"\bapprov(?:al|er|e)\b", re.I),
        {"lv": r"saskaņ", "ru": r"соглас", "uk": r"погод"},
    ),
    (
        re.compile(r"\bconsent", re.I),
        {"lv": r"piekri|piekrī", "ru": r"соглас", "uk": r"згод"},
    ),
    (
        re.compile(r"\bdigest\b", re.I),
        {"lv": r"kopsavilkum", "ru": r"сводк", "uk": r"підсум"},
    ),
    (
        re.compile(r"\binvite", re.I),
        {"lv": r"ielūgum|uzaicin", "ru": r"приглаш|пригласи", "uk": r"запрош|запроси"},
    ),
    (
        re.compile(r"\bin Telegram\b"),
        {"lv": r"Telegramā", "ru": r"в Telegram", "uk": r"в Telegram"},
    ),
    (
        re.compile(r"\b(?:tap|press)\b", re.I),
        {"ru": r"нажмите", "uk": r"натисніть"},
    ),
    (
        re.compile(r"^Withdrawn$"),
        {"lv": r"^Neaktīvs$", "ru": r"^Неактивен$", "uk": r"^Неактивний$"},
    ),
]


def off_glossary(locale: str, pairs: list[tuple[str, str]]) -> list[str]:
    wrong = []
    for msgid, string in pairs:
        english = PLACEHOLDERS_AND_COMMANDS.sub("", msgid)
        for term, required in GLOSSARY:
            applies = locale in required and term.search(english)
            if applies and not re.search(required[locale], string, re.I):
                wrong.append(f"{msgid!r} -> {string!r}")
    return wrong


@pytest.mark.parametrize("locale", ["lv", "ru", "uk"])
def test_glossary_terms_are_followed(locale):
    assert off_glossary(locale, translations(locale)) == []


def test_every_glossary_term_is_in_use():
    """A rule no msgid triggers is a rule that cannot fail: drop it or fix its pattern."""
    english = [PLACEHOLDERS_AND_COMMANDS.sub("", msgid) for msgid, _ in translations("lv")]
    unused = [term.pattern for term, _ in GLOSSARY if not any(map(term.search, english))]
    assert unused == []


@pytest.mark.parametrize(
    ("locale", "msgid", "text"),
    [
        ("lv", "{n} students at risk", "{n} riska grupas skolēni"),
        ("lv", "Plans waiting for approval", "Plāni, kas gaida apstiprinājumu"),
        ("ru", "Choose the municipality.", "Выберите муниципалитет."),
        ("uk", "Unknown risk factor.", "Невідомий фактор ризику."),
        ("uk", "Tap a number.", "Оберіть число."),
        ("ru", "Withdrawn", "Отозван"),
        ("lv", "{n} person cannot be reached in Telegram", "Ar {n} nevar sazināties Telegram"),
    ],
)
def test_the_glossary_catches_what_it_is_for(locale, msgid, text):
    assert off_glossary(locale, [(msgid, text)])


# Nothing left in English: a translation equal to its msgid, or (ru/uk) Latin words that are
# neither placeholders, commands, nor names and codes the reader types or sees as they are.
NAMES_AND_CODES = {
    "PuMPuRS", "Pumpurs", "pumpurs", "admin", "Telegram", "IAP", "IKVD", "PDF", "CSV", "UTF",
    "cp", "HTTP", "API", "bearer", "country", "excused", "yes", "no", "general",
    "vocational", "lv", "ru", "uk", "en", "a", "h", "min",
}  # fmt: skip
SAME_IN_ENGLISH = {"lv": {"Sports"}}


def left_in_english(locale: str, pairs: list[tuple[str, str]]) -> list[str]:
    wrong = []
    for msgid, string in pairs:
        words = set(re.findall(r"[A-Za-z]+", PLACEHOLDERS_AND_COMMANDS.sub("", string)))
        if not words:
            continue
        if string == msgid and string not in SAME_IN_ENGLISH.get(locale, set()):
            if words - NAMES_AND_CODES:
                wrong.append(string)
        elif locale in ("ru", "uk") and words - NAMES_AND_CODES:
            wrong.append(f"{string!r}: {sorted(words - NAMES_AND_CODES)}")
    return wrong


@pytest.mark.parametrize("locale", ["lv", "ru", "uk"])
def test_nothing_is_left_in_english(locale):
    assert left_in_english(locale, translations(locale)) == []


@pytest.mark.parametrize(
    ("locale", "msgid", "text"),
    [
        ("lv", "Mark absences", "Mark absences"),
        ("ru", "Give the week as a date: YYYY-MM-DD.", "Укажите неделю в формате YYYY-MM-DD."),
        ("uk", "Saved: the measure.", "Saved: захід."),
    ],
)
def test_english_left_over_is_caught(locale, msgid, text):
    assert left_in_english(locale, [(msgid, text)])


@pytest.mark.parametrize("locale", ["lv", "ru", "uk", "en"])
def test_the_semester_line_names_the_semester_once(locale):
    """`Semester: {semester}` around `2026/2027, semester I` must not say "semester" twice."""
    from core.clock import Semester
    from core.formatting import semester_text

    line = gettext(
        "Semester: {semester}", locale, semester=semester_text(Semester(2026, 1), locale)
    )
    assert len(re.findall(r"semest|семестр", line, re.IGNORECASE)) == 1, line


SOURCE_DIRS = ("api", "bot", "core", "handlers", "storage")
# A message written as a literal inside an f-string, e.g. f"{_('Saved.')}": the extractor cannot
# see it, so it is never translated.
LITERAL_IN_FSTRING = re.compile(
    r"""\bf(["'])(?:(?!\1).)*?\b(?:_|gettext|ngettext|pgettext|N_)\(\s*["']"""
)


def literals_in_fstrings(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if LITERAL_IN_FSTRING.search(line)]


def test_no_message_hides_inside_an_f_string():
    root = Path(__file__).resolve().parent.parent
    found = [
        f"{path.relative_to(root)}: {line}"
        for folder in SOURCE_DIRS
        for path in sorted((root / folder).rglob("*.py"))
        for line in literals_in_fstrings(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_f_string_pattern_catches_what_it_is_for():
    assert literals_in_fstrings("""text = f"{html(_('A plan waits.'))}\\n{body}\"""")
    assert not literals_in_fstrings('text = f"{_(ROLES[role].label)}, {school.name}"')
    assert not literals_in_fstrings('text = _("Saved.") + f"{name}"')
    assert not literals_in_fstrings('text = f"{question}\\n" + _("Nothing was changed.")')
