"""Reading the CSV files e-journals and spreadsheets export, a chunk at a time.

Accepted: UTF-8 with or without a byte order mark, or cp1257 (Windows Baltic); cells separated by
`,` or `;` (the header line decides: Excel in a Latvian locale writes `;`); lines ending in LF,
CR LF or a lone CR (Excel for Mac). What was detected is told back (`Detected`), so a person whose
file reads oddly learns why. The encoding is settled on the first byte that is not ASCII: valid
UTF-8 there means UTF-8 for the whole file, otherwise cp1257 (the two agree on ASCII).
"""

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from core.errors import InvalidInput
from core.i18n import N_

CHUNK = 64 * 1024
UTF8, UTF8_BOM, CP1257 = "UTF-8", "UTF-8 with BOM", "cp1257"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
ENDINGS = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}
MAX_LINE = 10_000  # characters: a longer line is not a row of a CSV export


@dataclass(frozen=True)
class Detected:
    encoding: str
    separator: str
    line_ending: str  # CRLF, LF, CR, or "-" for a file of one line


def chunks_of(data: bytes, size: int = CHUNK) -> Iterator[bytes]:
    """A body already in memory, handed out as a file read would."""
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


def file_chunks(path: str, size: int = CHUNK) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


class _Decoder:
    """UTF-8 until a byte says otherwise: then cp1257, if nothing but ASCII came before."""

    def __init__(self) -> None:
        self.encoding: str | None = None
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._ascii_so_far = True
        self._started = False

    def decode(self, chunk: bytes, final: bool = False) -> str:
        if not self._started and chunk:
            self._started = True
            if chunk.startswith(codecs.BOM_UTF8):
                self.encoding = UTF8_BOM
                chunk = chunk[len(codecs.BOM_UTF8) :]
        if self.encoding == CP1257:
            return chunk.decode("cp1257", errors="replace")
        held = self._utf8.getstate()[0]  # the start of a character split between chunks
        try:
            text = self._utf8.decode(chunk, final)
        except UnicodeDecodeError:
            if self.encoding == UTF8_BOM or not self._ascii_so_far:
                raise InvalidInput(
                    N_("The file is neither UTF-8 nor cp1257 text: save it as CSV UTF-8.")
                ) from None
            self.encoding = CP1257
            return (held + chunk).decode("cp1257", errors="replace")
        if self._ascii_so_far and not text.isascii():
            self._ascii_so_far = False
            self.encoding = self.encoding or UTF8
        return text


def _lines(chunks: Iterable[bytes], decoder: _Decoder, endings: list[str]) -> Iterator[str]:
    """The file's lines without their endings; the first ending seen is put in `endings`."""
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        # A CR at the end of a chunk may be the first half of a CR LF: keep it for the next.
        cut = len(pending) - 1 if pending.endswith("\r") else len(pending)
        start = 0
        for match in LINE_BREAK.finditer(pending, 0, cut):
            if not endings:
                endings.append(match.group())
            yield pending[start : match.start()]
            start = match.end()
        pending = pending[start:]
        if len(pending) > MAX_LINE:
            raise InvalidInput(N_("A line of the file is too long to be a CSV row."))
    pending += decoder.decode(b"", final=True)
    for match in LINE_BREAK.finditer(pending):
        if not endings:
            endings.append(match.group())
    parts = LINE_BREAK.split(pending)
    yield from (part for part in parts[:-1])
    if parts[-1]:
        yield parts[-1]


class CsvReader:
    """Rows of a CSV file with the number of the line each starts on; a header row first."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._decoder = _Decoder()
        self._endings: list[str] = []
        self._lines = _lines(chunks, self._decoder, self._endings)
        self.separator = ","

    @property
    def detected(self) -> Detected:
        return Detected(
            encoding=self._decoder.encoding or UTF8,
            separator=self.separator,
            line_ending=ENDINGS.get(self._endings[0], "-") if self._endings else "-",
        )

    def _numbered(self, first: str) -> Iterator[str]:
        self.line = 1
        yield first
        for line in self._lines:
            self.line += 1
            yield line

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells stripped of spaces) of each line with content."""
        first = next(self._lines, None)
        if first is None:
            return
        if first.count(";") > first.count(","):
            self.separator = ";"
        lines = self._numbered(first)
        reader = csv.reader(lines, delimiter=self.separator, strict=True)
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise InvalidInput(
                    N_("Line {line}: this line cannot be read as CSV; a quote may not be closed."),
                    line=self.line,
                ) from None
            cells = [cell.strip() for cell in raw]
            if any(cells):
                yield self.line, cells
