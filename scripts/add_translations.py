"""Merge translations from a JSON file into the catalogues, after extracting the current msgids.

    python scripts/add_translations.py new.json

The JSON maps each msgid to its translations: {"Save": {"lv": "Saglabāt", "ru": "…", "uk": "…"}};
for a plural message the values are lists of forms in the catalogue's order; a message with a
gettext context (`pgettext("button", "Save")`) is keyed as gettext stores it, context and msgid
joined by \u0004: "button\u0004Save". An "en" value overrides the English catalogue, which is
otherwise filled from the msgids. Holds a lock, so several people may run it at once.
"""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"


def merge(translations: dict[str, dict[str, str | list[str]]]) -> list[str]:
    missing = set(translations)
    for locale in ("lv", "ru", "uk", "en"):
        path = LOCALES / locale / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        for message in catalog:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if message.context:
                key = f"{message.context}\x04{key}"
            if key in translations and locale in translations[key]:
                value = translations[key][locale]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
                missing.discard(key)
        with path.open("wb") as target:
            write_po(target, catalog, width=100 if locale == "en" else 76)
    return sorted(missing)


def main() -> None:
    translations = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with (LOCALES / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "messages"], cwd=ROOT, check=True, capture_output=True)
        missing = merge(translations)
        subprocess.run(["make", "-s", "locales"], cwd=ROOT, check=True, capture_output=True)
    for msgid in missing:
        print(f"not in the catalogue (not extracted?): {msgid!r}")


if __name__ == "__main__":
    main()
