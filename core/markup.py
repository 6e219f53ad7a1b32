"""Text for Telegram's HTML parse mode: every stored or typed text escaped, headings in bold.

core never imports aiogram: the views build their messages from these, and the bot sends the
result with `parse_mode="HTML"`. `plain` gives the text a reader sees (for the API and logs).
"""

import re
from collections.abc import Iterable
from html import escape, unescape

TAG = re.compile(r"<[^>]*>")


class Markup(str):
    """Text already in Telegram HTML: kept as it is when lines are joined."""


def quote(text: object) -> str:
    """Any text as HTML that shows it literally (`<`, `>`, `&` escaped)."""
    return escape(str(text), quote=False)


def bold(text: object) -> Markup:
    return Markup(f"<b>{quote(text)}</b>")


def html_lines(lines: Iterable[str]) -> str:
    """The lines as one HTML text: Markup lines as they are, every other line escaped."""
    return "\n".join(line if isinstance(line, Markup) else quote(line) for line in lines)


def plain(markup: str) -> str:
    """What a reader sees of an HTML text: the tags dropped, the entities read."""
    return unescape(TAG.sub("", markup))
