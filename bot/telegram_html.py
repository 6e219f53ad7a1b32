"""Telegram's HTML parse mode, read as strictly as its documentation states it.

The recording session reads every text sent with `parse_mode="HTML"` through `parse_html`, as
Telegram does: it gets the text a reader sees and its entities, or refuses the message
("can't parse entities"). Only the documented tags, properly nested; `<`, `>` and `&` outside
tags only as `&lt;`, `&gt;`, `&amp;` (and `&quot;`).
"""

import re

from aiogram.types import MessageEntity

ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
ATTRIBUTES = {"a": {"href"}, "code": {"class"}, "blockquote": {"expandable"}}
CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*>')
ATTRIBUTE = re.compile(r'([a-z-]+)(?:="([^"]*)")?')
CHARACTER = re.compile(r"&([a-z]+);")


class HtmlError(ValueError):
    """Telegram would refuse the text: can't parse entities."""


def utf16_length(text: str) -> int:
    """Telegram counts entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> tuple[str, list[MessageEntity]]:
    """The text a reader sees and its entities; HtmlError where Telegram would refuse it."""
    text: list[str] = []
    entities: list[MessageEntity] = []
    open_tags: list[tuple[str, int, dict[str, str]]] = []  # name, offset, attributes
    offset = position = 0
    while position < len(markup):
        char = markup[position]
        if char not in "<>&":
            text.append(char)
            offset += utf16_length(char)
            position += 1
            continue
        if char == ">":
            raise HtmlError(f"unescaped '>' at offset {position}")
        if char == "&":
            found = CHARACTER.match(markup, position)
            if found is None or found[1] not in CHARACTERS:
                raise HtmlError(f"unsupported entity or bare '&' at offset {position}")
            text.append(CHARACTERS[found[1]])
            offset += 1
            position = found.end()
            continue
        tag = TAG.match(markup, position)
        if tag is None or tag[2] not in ENTITY_TYPES:
            raise HtmlError(f"unsupported start tag or bare '<' at offset {position}")
        closing, name, attributes = tag[1] == "/", tag[2], tag[3]
        position = tag.end()
        if closing:
            if attributes.strip() or not open_tags or open_tags[-1][0] != name:
                raise HtmlError(f"unmatched end tag </{name}>")
            _, start, given = open_tags.pop()
            if offset > start:
                entities.append(_entity(name, start, offset - start, given))
            continue
        given = {m[1]: m[2] or "" for m in ATTRIBUTE.finditer(attributes)}
        if not given.keys() <= ATTRIBUTES.get(name, set()):
            raise HtmlError(f"unsupported attribute in <{name}>")
        open_tags.append((name, offset, given))
    if open_tags:
        raise HtmlError(f"unclosed start tag <{open_tags[-1][0]}>")
    entities.sort(key=lambda entity: (entity.offset, -entity.length))
    return "".join(text), entities


def _entity(name: str, offset: int, length: int, attributes: dict[str, str]) -> MessageEntity:
    kind = ENTITY_TYPES[name]
    if kind == "code" and "class" in attributes:
        kind = "pre"
    return MessageEntity(type=kind, offset=offset, length=length, url=attributes.get("href"))
