"""Text from outside (API bodies and queries, typed messages, roster files, Telegram profiles).

Every name and free text passes one rule before anything is looked up or kept:

- Invisible characters that carry nothing are removed: zero-width space, non-joiner and joiner
  (U+200B-U+200D), word joiner (U+2060) and the byte-order mark (U+FEFF). Then the text is
  normalised to NFC, so a name typed on two keyboards is one name.
- Refused, naming the character: control characters (Unicode category Cc, such as NUL, which
  PostgreSQL cannot store) other than tab, line feed and carriage return; direction overrides
  and isolates (U+202A-U+202E, U+2066-U+2069), which make text read otherwise than it is kept;
  lone surrogates and noncharacters.
- Free text (a note, a topic, a comment) keeps its line breaks and tabs; CR LF and a lone CR
  become a line feed. A one-line value (a name, a title, a search) turns every run of
  whitespace, line breaks included, into one space.
- A name (of a person or a class) starts with a letter or a digit, so it never reads as a
  spreadsheet formula. Free text may start with anything ("-5 lessons" is a fair note): every
  export of text to a spreadsheet (CSV, XLSX) passes each text cell through `spreadsheet_safe`.
"""

import re
import unicodedata

from core.errors import InvalidInput
from core.i18n import N_

INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # for str.translate
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)
)
REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # category Cc but tab, line feed, carriage return
    "\u202a-\u202e\u2066-\u2069"  # direction overrides and isolates
    "\ud800-\udfff"  # lone surrogates
    f"{_NONCHARACTERS}]"
)
LINE_BREAK = re.compile(r"\r\n?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CANNOT_SAVE = N_(
    "The text contains a character that cannot be saved: {char} (a control or text-direction "
    "character). Please remove it and try again."
)
NAME_START = N_("A name must start with a letter or a digit.")


def _checked(text: str) -> str:
    """The text without invisible characters, in NFC; InvalidInput naming a refused one."""
    text = text.translate(INVISIBLE)
    if (found := REFUSED.search(text)) is not None:
        raise InvalidInput(CANNOT_SAVE, char=f"U+{ord(found.group()):04X}")
    return unicodedata.normalize("NFC", text)


def clean_line(text: str) -> str:
    """A one-line value (a title, a search): whitespace runs, line breaks too, become one space."""
    return " ".join(_checked(text).split())


def clean_name(text: str) -> str:
    """A person's or a class's name: one line starting with a letter or a digit (or empty)."""
    name = clean_line(text)
    if name and not name[0].isalnum():
        raise InvalidInput(NAME_START)
    return name


def clean_text(text: str) -> str:
    """Free text (a note, a topic, a comment): line breaks and tabs kept, outer whitespace not."""
    return LINE_BREAK.sub("\n", _checked(text)).strip()


def optional_text(text: str | None) -> str | None:
    """Free text that may be left out: None when nothing is left of it."""
    if text is None:
        return None
    return clean_text(text) or None


def lenient_line(text: str) -> str:
    """A one-line value we cannot ask again for (a Telegram name): refused characters dropped."""
    kept = REFUSED.sub("", text.translate(INVISIBLE))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def spreadsheet_safe(value: str) -> str:
    """A text cell for a CSV or XLSX export that no spreadsheet runs as a formula.

    A cell starting with = + - @, a tab or a carriage return gets a leading apostrophe, which
    spreadsheets show as text (OWASP: CSV injection). Every export of names or free text uses it.
    """
    return f"'{value}" if value.startswith(FORMULA_START) else value
