"""Reading CSV files as spreadsheets and e-journals save them, a chunk at a time.

UTF-8 with or without a byte order mark, or cp1257 (Baltic Windows) when the bytes are not UTF-8;
cells separated by commas, semicolons (Excel in a Latvian locale) or tabs, found from the header;
lines ending in LF, CR LF or a lone CR (Excel for Mac). What was found is reported, and every
problem names the line of the file (and, past the header, the column) it is on.
"""

import codecs
import csv
import re
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field

from core.errors import DomainError, InvalidInput
from core.i18n import N_, gettext

CHUNK = 64 * 1024
MAX_RECORD = 4096  # characters in one record: far beyond any roster or attendance row
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
LINE_BREAK = re.compile(r"\r\n|\r|\n")
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx / .ods (zip), .xls (OLE)


class LineProblem(InvalidInput):
    """A problem with one line of an imported file: `Line 3: <the problem>`."""

    def __init__(self, line: int, problem: DomainError) -> None:
        super().__init__(N_("Line {line}: {problem}"), line=line)
        self.problem = problem

    def where(self) -> str:
        return f"line {self.params['line']}"

    def text(self, locale: str) -> str:
        return gettext(
            self.message, locale, line=self.params["line"], problem=self.problem.text(locale)
        )


class CellProblem(InvalidInput):
    """A problem with one cell: `Line 3, column klase: <the problem>` (the header's own name)."""

    def __init__(self, line: int, column: str, problem: DomainError) -> None:
        super().__init__(N_("Line {line}, column {column}: {problem}"), line=line, column=column)
        self.problem = problem

    def where(self) -> str:
        return f"line {self.params['line']}, column {self.params['column']}"

    def text(self, locale: str) -> str:
        return gettext(
            self.message,
            locale,
            line=self.params["line"],
            column=self.params["column"],
            problem=self.problem.text(locale),
        )


@dataclass
class Format:
    """What was detected in the file, for the import's answer."""

    encoding: str = "UTF-8"  # UTF-8 | UTF-8 with BOM | cp1257
    separator: str = "comma"  # comma | semicolon | tab
    line_endings: set[str] = field(default_factory=set)  # LF, CRLF, CR

    @property
    def line_ending(self) -> str:
        """`CRLF`, or several joined (`CR+LF`) when the file mixes them; `none` for one line."""
        return "+".join(sorted(self.line_endings)) or "none"


async def chunks_of(content: bytes | Iterable[bytes]) -> AsyncIterator[bytes]:
    """Bytes already read (or any iterable of chunks) as the async chunks `read_rows` takes."""
    if isinstance(content, bytes):
        for start in range(0, len(content), CHUNK):
            yield content[start : start + CHUNK]
    else:
        for piece in content:
            yield piece


def file_chunks(path: str) -> Iterator[bytes]:
    """A file's bytes a chunk at a time, for `chunks_of`: never the whole file in memory."""
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


class _Decoder:
    """UTF-8 until a byte says otherwise; cp1257 then, if nothing but ASCII came before."""

    def __init__(self, found: Format) -> None:
        self.found = found
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.cp1257 = False
        self.ascii_so_far = True
        self.started = False
        self.text_started = False

    def decode(self, chunk: bytes, line: int, final: bool = False) -> str:
        if not self.started:
            if chunk.startswith(WORKBOOK_MAGIC):
                raise InvalidInput(
                    N_("This is a spreadsheet workbook, not CSV: save it as CSV and send that.")
                )
            self.started = bool(chunk)
        if self.cp1257:
            return self._cp1257(chunk, line)
        held = self.utf8.getstate()[0]  # the start of a character cut by the previous chunk
        try:
            text = self.utf8.decode(chunk, final)
        except UnicodeDecodeError as error:
            before = (held + chunk)[: error.start]
            if not (self.ascii_so_far and before.isascii()) or self.found.encoding != "UTF-8":
                raise LineProblem(
                    _line_at(held + chunk, error.start, line),
                    InvalidInput(N_("the file mixes encodings: save it as UTF-8.")),
                ) from None
            self.cp1257 = True
            self.found.encoding = "cp1257"
            return self._cp1257(held + chunk, line)
        if not self.text_started and text:
            self.text_started = True
            if text.startswith("\ufeff"):
                self.found.encoding = "UTF-8 with BOM"
                text = text[1:]
        self.ascii_so_far = self.ascii_so_far and text.isascii()
        return text

    def _cp1257(self, chunk: bytes, line: int) -> str:
        try:
            return chunk.decode("cp1257")
        except UnicodeDecodeError as error:
            raise LineProblem(
                _line_at(chunk, error.start, line),
                InvalidInput(N_("the file is neither UTF-8 nor cp1257 (Baltic) text.")),
            ) from None


def _line_at(chunk: bytes, offset: int, line: int) -> int:
    """The line of the byte at `offset` of a chunk that starts on `line`."""
    return line + len(LINE_BREAK.findall(chunk[:offset].decode("latin-1")))


async def _lines(chunks: AsyncIterable[bytes], found: Format) -> AsyncIterator[tuple[int, str]]:
    """Each physical line with its number, line breaks of any kind taken off and noted."""
    decoder = _Decoder(found)
    pending = ""
    number = 1
    async for chunk in chunks:
        pending += decoder.decode(chunk, number)
        # A CR at the very end may be the first half of a CR LF: wait for the next chunk.
        cut = len(pending) - 1 if pending.endswith("\r") else len(pending)
        start = 0
        for match in LINE_BREAK.finditer(pending, 0, cut):
            found.line_endings.add(_ENDINGS[match.group()])
            yield number, pending[start : match.start()]
            number += 1
            start = match.end()
        pending = pending[start:]
        if len(pending) > MAX_RECORD * 4:
            raise LineProblem(number, InvalidInput(_UNREADABLE))
    pending += decoder.decode(b"", number, final=True)
    start = 0
    for match in LINE_BREAK.finditer(pending):
        found.line_endings.add(_ENDINGS[match.group()])
        yield number, pending[start : match.start()]
        number += 1
        start = match.end()
    if pending[start:]:
        yield number, pending[start:]


_ENDINGS = {"\r\n": "CRLF", "\r": "CR", "\n": "LF"}
_UNREADABLE = N_("this line cannot be read as CSV; a cell may be too long or a quote not closed.")


def _separator(header: str) -> str:
    """The separator the header line uses most, outside quotes; a comma when it has none."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


async def read_records(
    chunks: AsyncIterable[bytes], found: Format
) -> AsyncIterator[tuple[int, list[str]]]:
    """Each record with the line it starts on, its cells as read (not cleaned); blank ones skipped.

    A quoted cell may hold line breaks: a record runs on while its quotes are open. The separator
    is the header's (the first record with content).
    """
    separator: str | None = None
    record: list[str] = []
    started = 0
    async for number, line in _lines(chunks, found):
        if not record:
            started = number
            if not line.strip():
                continue
            if separator is None:
                separator = _separator(line)
                found.separator = SEPARATORS[separator]
        record.append(line)
        text = "\n".join(record)
        if len(text) > MAX_RECORD:
            raise LineProblem(started, InvalidInput(_UNREADABLE))
        if text.count('"') % 2:
            continue  # a quote is open: the record goes on on the next line
        record = []
        try:
            cells = next(csv.reader([text], delimiter=separator or ","))
        except (csv.Error, StopIteration):
            raise LineProblem(started, InvalidInput(_UNREADABLE)) from None
        if any(cell.strip() for cell in cells):
            yield started, cells
    if record:
        raise LineProblem(started, InvalidInput(_UNREADABLE))


def header_key(name: str) -> str:
    """A header cell compared loosely: case, accents, spaces and dashes do not matter."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s\-.]+", "_", plain).strip("_")


def find_columns(
    line: int, header: list[str], aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> dict[str, tuple[int, str]]:
    """Each known column's index and name in the file, by its header; unknown columns ignored.

    `aliases` maps a column to the header keys (see `header_key`) that name it.
    """
    by_key = {key: column for column, keys in aliases.items() for key in keys}
    columns: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(header):
        column = by_key.get(header_key(name))
        if column is None:
            continue
        if column in columns:
            raise LineProblem(
                line, InvalidInput(N_("the column {column} appears twice."), column=name.strip())
            )
        columns[column] = (index, name.strip())
    missing = [column for column in required if column not in columns]
    if missing:
        raise InvalidInput(
            N_("The first line must be a header naming the columns {columns}; missing: {missing}."),
            columns=", ".join(required),
            missing=", ".join(missing),
        )
    return columns
