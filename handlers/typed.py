"""Reading what people type where a number or a date is due."""

from datetime import date

DIGITS_AT_MOST = 6


def whole_number(text: str) -> int | None:
    """A whole number typed in plain digits, perhaps with a minus; None otherwise.

    Stricter than int(), which also takes "1_000" and digits of other scripts.
    """
    digits = text.strip().removeprefix("-")
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > DIGITS_AT_MOST:
        return None
    return int(text)


def parse_day(text: str, year: int) -> date | None:
    """`dd.mm` in the given year, or `dd.mm.yyyy` / `dd.mm.yy` (`/` too, a trailing dot allowed).

    None when the text is no date.
    """
    parts = text.strip().rstrip(".").replace("/", ".").split(".")
    if len(parts) not in (2, 3) or not all(
        p.isascii() and p.isdecimal() and len(p) <= 4 for p in parts
    ):
        return None
    if len(parts) == 3:
        year = int(parts[2]) + (2000 if len(parts[2]) == 2 else 0)
    try:
        return date(year, int(parts[1]), int(parts[0]))
    except ValueError:
        return None
