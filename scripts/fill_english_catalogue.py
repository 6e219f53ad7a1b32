"""Fill the English catalogue from the msgids, which are English: every message stays complete."""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "locales" / "en" / "LC_MESSAGES" / "messages.po"


def main() -> None:
    with PO.open("rb") as source:
        catalog = read_po(source, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
    with PO.open("wb") as target:
        write_po(target, catalog, width=100)


if __name__ == "__main__":
    main()
