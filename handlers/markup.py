"""Telegram HTML for the flows' messages, built with aiogram's formatting utilities: every
stored or typed text escaped, the student's name and section headings in bold.

Send the result with `parse_mode="HTML"` (handlers/replies.py: `html=True`).
"""

from string import Formatter

from aiogram.types import Message
from aiogram.utils.formatting import Bold, Text, as_list

from handlers.names import Named, full_name

Part = str | Text


def filled(template: str, **values: Part) -> Text:
    """A translated template with its {fields} filled: plain values escaped, Text values (such as
    `Bold(...)`) formatted as they are."""
    parts: list[Part] = []
    for literal, field, spec, _ in Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is not None:
            value = values[field]
            parts.append(value if isinstance(value, Text) else format(value, spec or ""))
    return Text(*parts)


def html(*lines: Part) -> str:
    """Lines as one HTML text: plain strings escaped, Text nodes rendered."""
    return as_list(*lines).as_html()


def bold_name(student: Named) -> Bold:
    return Bold(full_name(student))


def appended(message: Message, *lines: Part) -> str:
    """The HTML of a message Telegram gave back (its entities as tags), lines added below."""
    return f"{message.html_text}\n{html(*lines)}"
