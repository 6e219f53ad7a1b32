"""Schools, classes and students: what a person may see, and the roster import."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, coordinated_school, school_scope, student_scope, visible_school
from core.catalogues import LANGUAGES
from core.errors import DomainError, InvalidInput
from core.i18n import N_, gettext
from core.text import clean_line, clean_name
from storage.models import School, SchoolClass, Student

MAX_ROSTER_ROWS = 5000
NAME_LIMIT = 80
LINE_END = re.compile(r"\r\n?")


async def list_schools(actor: Actor) -> list[School]:
    return await School.filter(school_scope(actor)).order_by("name")


async def list_classes(actor: Actor, school_id: int) -> list[SchoolClass]:
    await visible_school(actor, school_id)
    return await SchoolClass.filter(school_id=school_id).order_by("grade", "name")


async def create_class(actor: Actor, school_id: int, grade: int, name: str) -> SchoolClass:
    await coordinated_school(actor, school_id)
    name = clean_name(name)
    if not 1 <= grade <= 12 or not name or len(name) > 20:
        raise InvalidInput(N_("A class needs a grade from 1 to 12 and a short name."))
    async with in_transaction():
        school_class, created = await SchoolClass.get_or_create(
            school_id=school_id, name=name, defaults={"grade": grade}
        )
        if created:
            await audit.record(actor.id, "class.create", "school_class", school_class.id)
    return school_class


async def list_students(
    actor: Actor,
    *,
    school_id: int | None = None,
    class_id: int | None = None,
    search: str | None = None,
) -> list[Student]:
    """The students this actor may see, optionally narrowed to a school, a class or a name."""
    query = Student.filter(student_scope(actor))
    if school_id is not None:
        query = query.filter(school_id=school_id)
    if class_id is not None:
        query = query.filter(school_class_id=class_id)
    if search:
        for word in clean_line(search).split()[:3]:
            query = query.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return await query.order_by("last_name", "first_name", "id").limit(500)


@dataclass(frozen=True)
class RosterResult:
    created: int
    classes_created: int


async def import_roster(actor: Actor, school_id: int, content: str) -> RosterResult:
    """Import `class,first_name,last_name[,family_language]` rows; all or nothing.

    A bad row raises InvalidInput naming its line number, and nothing of the file is saved.
    """
    await coordinated_school(actor, school_id)
    rows = _parse_roster(content)
    existing = {c.name: c for c in await SchoolClass.filter(school_id=school_id)}
    async with in_transaction():
        classes_created = 0
        for name in sorted({row[0] for row in rows} - set(existing)):
            existing[name] = await SchoolClass.create(
                school_id=school_id, name=name, grade=_grade_of(name)
            )
            classes_created += 1
        await Student.bulk_create(
            [
                Student(
                    school_id=school_id,
                    school_class_id=existing[class_name].id,
                    first_name=first,
                    last_name=last,
                    family_language=language,
                )
                for class_name, first, last, language in rows
            ]
        )
        await audit.record(actor.id, "roster.import", "school", school_id)
    return RosterResult(created=len(rows), classes_created=classes_created)


class LineProblem(InvalidInput):
    """A problem with one line of an imported file: `Line 3: <the problem>`."""

    def __init__(self, line: int, problem: DomainError) -> None:
        super().__init__(N_("Line {line}: {problem}"), line=line)
        self.problem = problem

    def text(self, locale: str) -> str:
        return gettext(
            self.message, locale, line=self.params["line"], problem=self.problem.text(locale)
        )


def _cells(raw: list[str], line_number: int) -> list[str]:
    """The row's cells cleaned (names by the name rule); a refused character names the line."""
    try:
        return (
            [clean_line(cell) for cell in raw[:1]]
            + [clean_name(cell) for cell in raw[1:3]]
            + [clean_line(cell) for cell in raw[3:]]
        )
    except InvalidInput as problem:
        raise LineProblem(line_number, problem) from None


def _rows(content: str) -> Iterator[tuple[int, list[str]]]:
    """Each row with content and the line of the file it starts on, its cells cleaned.

    Lines may end in LF, CR LF or a lone CR (Excel for Mac); cells are separated by commas, or
    by semicolons when the first line has those and no comma (Excel in a Latvian locale).
    """
    text = LINE_END.sub("\n", content.removeprefix("\ufeff"))
    first_line = text.lstrip().partition("\n")[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        line_number = reader.line_num + 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a cell longer than the csv module's limit, most likely
            raise InvalidInput(
                N_(
                    "Line {line}: this line cannot be read as CSV; a cell may be too long or "
                    "a quote not closed."
                ),
                line=line_number,
            ) from None
        cells = _cells(raw, line_number)
        if any(cells):
            yield line_number, cells


def _parse_roster(content: str) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for index, (line_number, cells) in enumerate(_rows(content)):
        if index == 0 and cells[0].lower() in ("class", "klase"):
            continue  # a header row
        if len(cells) not in (3, 4):
            raise InvalidInput(
                N_("Line {line}: expected class, first name, last name."), line=line_number
            )
        class_name, first, last = cells[:3]
        language = cells[3].lower() if len(cells) == 4 and cells[3] else "lv"
        if _grade_of(class_name) == 0 or len(class_name) > 20:
            raise InvalidInput(
                N_("Line {line}: the class must start with its grade, like 7.a."), line=line_number
            )
        if not first or not last or len(first) > NAME_LIMIT or len(last) > NAME_LIMIT:
            raise InvalidInput(
                N_("Line {line}: a first and a last name are needed."), line=line_number
            )
        if language not in LANGUAGES:
            raise InvalidInput(
                N_("Line {line}: the family language must be one of lv, ru, uk, en."),
                line=line_number,
            )
        rows.append((class_name, first, last, language))
        if len(rows) > MAX_ROSTER_ROWS:
            raise InvalidInput(
                N_("A roster may hold at most {count} students."), count=MAX_ROSTER_ROWS
            )
    if not rows:
        raise InvalidInput(N_("The roster is empty."))
    return rows


def _grade_of(class_name: str) -> int:
    """The grade a class name starts with (`7.a` -> 7), or 0 when it has none in 1-12."""
    digits = ""
    for char in class_name:
        if not char.isdigit():
            break
        digits += char
    grade = int(digits) if digits else 0
    return grade if 1 <= grade <= 12 else 0
