"""Attendance in: a school's e-journal export imported, or a teacher's absences from the bot.

One Absence row per student and day: a later report for the same day replaces the earlier count
(re-importing the same rows changes nothing). The import is all or nothing: every problem is
reported by line, and nothing is saved if there is one. Rows are read a chunk at a time and
written in batches, each one SELECT of what is stored and one bulk upsert
(`INSERT ... ON CONFLICT (student_id, day) DO UPDATE`), inside one transaction.

Days: a weekend or a public holiday is refused (no school teaches then; the file is wrong); a day
of the national school breaks or of the school's own holidays is saved with a warning, since some
grades do study then (grades 9 and 12 in June) and the school's calendar may be incomplete.
"""

import re
import unicodedata
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core import audit, clock
from core.absence_rules import rules_of
from core.access import Actor, coordinated_school, visible_student, workable_class
from core.csv_import import Format, chunks_of, read_records
from core.errors import DomainError, InvalidInput
from core.i18n import N_, gettext
from core.school_calendar import SchoolCalendar, school_calendar
from core.services.absence_levels import LevelCount, recompute_levels, windows
from core.services.schools import LIST_ORDER
from storage.models import Absence, School, Student
from storage.one_of import one_of
from storage.statements import ModelStatement

BATCH = 2000
SQLITE_ROWS = 120  # rows a statement, 8 parameters each
MAX_PROBLEMS = 50  # problems listed; the rest are counted
BOT_DAYS_BACK = 14
IMPORT, BOT = "import", "bot"
# Compared without diacritics (core.text's rule: Latvian letters stay out of the code).
YES = {"yes", "y", "ja", "1", "true", "да", "так"}
NO = {"no", "n", "ne", "0", "false", "", "нет", "ні"}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
LATVIAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?$")
COLUMNS = ("student_ref", "date", "lessons_missed")
OPTIONAL = ("excused",)


class LineProblem(InvalidInput):
    """A problem with one line of an imported file: `Line 3: <the problem>`."""

    def __init__(self, line: int, problem: DomainError) -> None:
        super().__init__(N_("Line {line}: {problem}"), line=line)
        self.line = line
        self.problem = problem

    def text(self, locale: str) -> str:
        return gettext(self.message, locale, line=self.line, problem=self.problem.text(locale))


class FileProblems(InvalidInput):
    """Every problem of a file, by line; nothing of it was saved."""

    def __init__(self, problems: list[LineProblem], more: int) -> None:
        super().__init__(N_("The file has problems; nothing was saved."))
        self.problems = problems
        self.more = more

    def text(self, locale: str) -> str:
        lines = [gettext(self.message, locale)] + [p.text(locale) for p in self.problems]
        if self.more:
            lines.append(gettext(N_("... and {count} more."), locale, count=self.more))
        return "\n".join(lines)

    def field_problems(self, locale: str) -> list[tuple[str, str]]:
        return [(f"line {p.line}", p.problem.text(locale)) for p in self.problems]


@dataclass
class ImportReport:
    detected: Format
    rows: int = 0
    created: int = 0  # student-days new
    updated: int = 0  # student-days whose count changed
    unchanged: int = 0
    first_day: date | None = None
    last_day: date | None = None
    warnings: list[LineProblem] = field(default_factory=list)
    levels: LevelCount | None = None  # None on a dry run
    dry_run: bool = False


@dataclass(frozen=True)
class Row:
    student_id: int
    day: date
    unexcused: int
    excused: int


@cache
def plain(text: str) -> str:
    """Lower case without diacritics (a yes/no cell): an accented or capitalised yes or no
    compares as plain ASCII, the way the excused column is written in either language."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def parse_day(text: str) -> date | None:
    """YYYY-MM-DD or DD.MM.YYYY; None when it is neither or no such day exists."""
    if match := ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := LATVIAN_DATE.match(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _header(cells: list[str]) -> dict[str, int]:
    names = [cell.lower().lstrip("\ufeff") for cell in cells]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise InvalidInput(
            N_("Line 1: the header must name the columns {columns} (and may add excused)."),
            columns=", ".join(COLUMNS),
        )
    return {name: names.index(name) for name in COLUMNS + OPTIONAL if name in names}


class _Parser:
    """Turns each line into a Row, or a problem; knows the school's students and calendar.

    A file names few distinct dates many times: each date text is judged once and remembered.
    """

    def __init__(
        self,
        columns: dict[str, int],
        refs: dict[str, int],
        max_lessons: int,
        calendar: SchoolCalendar,
        public: set[date],
    ) -> None:
        self.refs = refs
        self.max_lessons = max_lessons
        self.calendar = calendar
        self.public_days_off = public
        self.columns = (
            columns["student_ref"],
            columns["date"],
            columns["lessons_missed"],
            columns.get("excused"),
        )
        self.days: dict[str, tuple[date, str | None] | InvalidInput] = {}
        self.lessons = {str(n): n for n in range(max_lessons + 1)}

    def _day(self, text: str) -> tuple[date, str | None]:
        """The day and a warning msgid or None; raises InvalidInput for a refused date."""
        judged = self.days.get(text)
        if judged is None:
            judged = self.days[text] = self._judge(text)
        if isinstance(judged, InvalidInput):
            raise judged
        return judged

    def _judge(self, text: str) -> tuple[date, str | None] | InvalidInput:
        day = parse_day(text)
        if day is None:
            return InvalidInput(N_("the date must be a real day, as YYYY-MM-DD or DD.MM.YYYY."))
        if (problem := clock.date_problem(day)) is not None:
            return InvalidInput(problem)
        if day.weekday() >= 5 or day in self.public_days_off:
            return InvalidInput(N_("{date} is a weekend day or a public holiday."), date=str(day))
        if not self.calendar.teaches(day):
            return day, N_("{date} is in a school break or holiday; saved all the same.")
        return day, None

    def row(self, cells: list[str]) -> tuple[Row, str | None]:
        """The row, and a warning msgid or None; raises InvalidInput for a refused line."""
        ref_at, date_at, lessons_at, excused_at = self.columns
        width = len(cells)
        ref = cells[ref_at] if ref_at < width else ""
        student_id = self.refs.get(ref)
        if student_id is None:
            raise InvalidInput(N_("no student of this school has the reference {ref}."), ref=ref)
        day, warning = self._day(cells[date_at] if date_at < width else "")
        lessons = self.lessons.get(cells[lessons_at] if lessons_at < width else "")
        if lessons is None:
            raise InvalidInput(
                N_("lessons missed must be a whole number from 0 to {max}."), max=self.max_lessons
            )
        excused_text = (
            plain(cells[excused_at]) if excused_at is not None and excused_at < width else ""
        )
        if excused_text in NO:
            return Row(student_id, day, lessons, 0), warning
        if excused_text in YES:
            return Row(student_id, day, 0, lessons), warning
        raise InvalidInput(N_("excused must be yes or no."))


def _stripped(cells: list[str]) -> list[str]:
    return [cell.strip() for cell in cells]


async def _refs(school_id: int) -> dict[str, int]:
    rows = await Student.filter(
        school_id=school_id, student_ref__isnull=False, erased_at__isnull=True
    ).values_list("student_ref", "id")
    return {ref: student_id for ref, student_id in rows}


async def import_attendance(
    actor: Actor | None,
    school_id: int,
    data: bytes | Iterable[bytes],
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Import an attendance CSV (`student_ref,date,lessons_missed[,excused]`); all or nothing.

    `data` is the file's bytes, or its chunks as they are read. `actor` None: the operator's CLI.
    """
    if actor is None:
        school = await School.get_or_none(id=school_id)
        if school is None:
            raise InvalidInput(N_("There is no school {id}."), id=school_id)
    else:
        school = await coordinated_school(actor, school_id)
    found = Format()
    records = read_records(chunks_of(data), found)
    rules = rules_of(school)
    oldest = clock.today() - timedelta(days=366)
    calendar = await school_calendar(school_id, oldest, clock.today())
    first = await anext(records, None)
    if first is None:
        raise InvalidInput(N_("The file is empty."))
    parser = _Parser(
        _header(_stripped(first[1])),
        await _refs(school_id),
        rules.lessons_per_day,
        calendar,
        national_public(oldest),
    )
    report = ImportReport(detected=found, dry_run=dry_run)
    actor_id = actor.id if actor else None
    async with in_transaction() as connection:
        students = await _load(connection, school_id, actor_id, parser, records, report)
        if report.last_day is None:  # every row read sets it
            raise InvalidInput(N_("The file has no rows after its header."))
        if not dry_run:
            report.levels = await recompute_levels(
                [school_id], report.last_day, student_ids=sorted(students), actor_id=actor_id
            )
            await audit.record(actor_id, "attendance.import", "school", school_id)
    return report


def national_public(first: date) -> set[date]:
    """Latvia's public holidays from `first` to the end of this year."""
    years = range(first.year, clock.today().year + 1)
    return set(holidays.LV(years=years))  # type: ignore[no-untyped-call]  # holidays is untyped


async def _load(
    connection: BaseDBAsyncClient,
    school_id: int,
    actor_id: int | None,
    parser: _Parser,
    records: AsyncIterator[tuple[int, list[str]]],
    report: ImportReport,
) -> set[int]:
    """Validate every line; write batches while none is wrong; raise FileProblems at the end.

    Returns the students the file names. A day's unexcused and excused lines are best adjacent:
    lines of one day further apart than a batch are written twice (the same end result).
    """
    students: set[int] = set()
    problems: list[LineProblem] = []
    more = 0
    seen: dict[tuple[int, date], tuple[Row, str]] = {}  # the day's row so far, kinds given
    batch: dict[tuple[int, date], Row] = {}
    async for line, raw in records:
        try:
            row, warning = parser.row(_stripped(raw))
            key = (row.student_id, row.day)
            kind = "e" if row.excused else "u"
            if key in seen:  # allowed once: the day's unexcused and excused lessons apart
                earlier, kinds = seen[key]
                if kind in kinds:
                    raise InvalidInput(N_("this student and day are already on an earlier line."))
                row = Row(
                    row.student_id,
                    row.day,
                    row.unexcused + earlier.unexcused,
                    row.excused + earlier.excused,
                )
                if row.unexcused + row.excused > parser.max_lessons:
                    raise InvalidInput(
                        N_("more than {max} lessons missed on one day."), max=parser.max_lessons
                    )
                kind += kinds
            seen[key] = (row, kind)
        except InvalidInput as problem:
            if len(problems) < MAX_PROBLEMS:
                problems.append(LineProblem(line, problem))
            else:
                more += 1
            continue
        if warning and len(report.warnings) < MAX_PROBLEMS:
            report.warnings.append(LineProblem(line, InvalidInput(warning, date=str(row.day))))
        report.rows += 1
        students.add(row.student_id)
        report.first_day = min(report.first_day or row.day, row.day)
        report.last_day = max(report.last_day or row.day, row.day)
        if problems:
            continue
        batch[key] = row
        if len(batch) >= BATCH:
            await _write(connection, school_id, actor_id, list(batch.values()), report)
            batch.clear()
    if problems:
        raise FileProblems(problems, more)
    if batch:
        await _write(connection, school_id, actor_id, list(batch.values()), report)
    return students


async def _write(
    connection: BaseDBAsyncClient,
    school_id: int,
    actor_id: int | None,
    batch: list[Row],
    report: ImportReport,
) -> None:
    """Count what the batch adds and changes (one SELECT), and upsert those (one INSERT; none
    on a dry run)."""
    stored = {
        (student_id, day): (unexcused, excused)
        for student_id, day, unexcused, excused in await Absence.filter(
            student_id__in={row.student_id for row in batch},
            day__gte=min(row.day for row in batch),
            day__lte=max(row.day for row in batch),
        )
        .using_db(connection)
        .values_list("student_id", "day", "unexcused", "excused")
    }
    changed = []
    for row in batch:
        before = stored.get((row.student_id, row.day))
        if before is None and row.unexcused == row.excused == 0:
            report.unchanged += 1  # a day with nothing missed, and nothing stored: no row
            continue
        if before is None:
            report.created += 1
        elif before != (row.unexcused, row.excused):
            report.updated += 1
        else:
            report.unchanged += 1
            continue
        changed.append(row)
    if not report.dry_run:
        await upsert(connection, school_id, changed, IMPORT, actor_id)


async def upsert(
    connection: BaseDBAsyncClient,
    school_id: int,
    rows: list[Row],
    source: str,
    reporter_id: int | None,
    *,
    keep_excused: bool = False,
) -> None:
    """Insert the rows, or replace the stored counts of the same student and day: one query
    (on SQLite, one per 120 rows). In student and day order: two transactions writing the same
    days lock them in the same order, one waits for the other, neither for both.

    `keep_excused`: a stored day keeps its excused count (the rows' own is for new days)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: (row.student_id, row.day))
    moment = clock.now()
    excused = "absence.excused" if keep_excused else "EXCLUDED.excused"
    returning = (
        "ON CONFLICT (student_id, day) DO UPDATE SET school_id = EXCLUDED.school_id, "
        f"unexcused = EXCLUDED.unexcused, excused = {excused}, source = EXCLUDED.source, "
        "reporter_id = EXCLUDED.reporter_id, updated_at = EXCLUDED.updated_at"
    )
    columns = "student_id, school_id, day, unexcused, excused, source, reporter_id, updated_at"
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            f"INSERT INTO absence ({columns}) SELECT s, $2, d, u, e, $3, $4, $5 "
            "FROM unnest($1::int[], $6::date[], $7::smallint[], $8::smallint[]) AS t(s, d, u, e) "
            + returning,
            [
                [row.student_id for row in rows],
                school_id,
                source,
                reporter_id,
                moment,
                [row.day for row in rows],
                [row.unexcused for row in rows],
                [row.excused for row in rows],
            ],
        )
        return
    stamp = moment.isoformat(sep=" ")
    for start in range(0, len(rows), SQLITE_ROWS):  # SQLite takes at most 999 parameters
        part = rows[start : start + SQLITE_ROWS]
        params: list[object] = []
        for row in part:
            params += [
                row.student_id,
                school_id,
                row.day.isoformat(),
                row.unexcused,
                row.excused,
                source,
                reporter_id,
                stamp,
            ]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(part))
        await connection.execute_query(
            f"INSERT INTO absence ({columns}) VALUES {values} " + returning, params
        )


# The bot's (and the API's) absences: a teacher's per-student counts for one day.


@dataclass(frozen=True)
class DayReport:
    day: date
    saved: dict[int, int]  # student id -> unexcused lessons
    levels: LevelCount
    listed: list[Student]  # the students saved who are on the class's list, in its order


async def record_absences(
    actor: Actor, class_id: int, lessons: dict[int, int], day: date | None = None
) -> DayReport:
    """Unexcused lessons each student of one class missed on one day (replacing that day's
    unexcused count; excused ones stay), and the students' levels recomputed.

    Seven statements and a transaction when no one's level rises: the class and its school,
    the students, the school's holidays over the window; then the upsert, the students' rows
    locked, their absences summed, the audit."""
    school_class = await workable_class(actor, class_id)
    day = day or clock.today()
    students = await _CLASS_STUDENTS.models(students=list(lessons), school_class=school_class.id)
    if strangers := sorted(set(lessons) - {student.id for student in students}):
        raise InvalidInput(
            N_("These students are not in this class: {ids}."),
            ids=", ".join(str(student_id) for student_id in strangers),
        )
    if (problem := clock.date_problem(day)) is not None:
        raise InvalidInput(problem)
    if day < clock.today() - timedelta(days=BOT_DAYS_BACK):
        raise InvalidInput(N_("Absences can be logged up to {days} days back."), days=BOT_DAYS_BACK)
    if not lessons:
        raise InvalidInput(N_("Choose at least one student."))
    school = school_class.school
    rules = rules_of(school)
    if not all(1 <= count <= rules.lessons_per_day for count in lessons.values()):
        raise InvalidInput(
            N_("The number of lessons must be from 1 to {max}."), max=rules.lessons_per_day
        )
    known = await windows([school], day)
    if not known.calendars[school.id].teaches(day):
        raise InvalidInput(N_("The school does not teach on {date}."), date=str(day))
    rows = [Row(student_id, day, count, 0) for student_id, count in sorted(lessons.items())]
    async with in_transaction() as connection:
        await upsert(connection, school.id, rows, BOT, actor.id, keep_excused=True)
        levels = await recompute_levels(
            [school.id], day, student_ids=list(lessons), actor_id=actor.id, known=known
        )
        await audit.record(actor.id, "absence.record", "school_class", school_class.id)
    listed = [student for student in students if student.left_at is None]
    return DayReport(day, dict(lessons), levels, listed)


_CLASS_STUDENTS = ModelStatement(
    Student,
    lambda v: Student.filter(
        **one_of("id", v("students")), school_class_id=v("school_class")
    ).order_by(*LIST_ORDER),
)


@dataclass(frozen=True)
class LoggableDays:
    """What a teacher may log for a class: its school's school days of the last two weeks
    (newest first) and the most lessons a day can have; the class's name and school."""

    days: list[date]
    lessons_per_day: int
    class_name: str
    school_id: int


async def loggable_days(actor: Actor, class_id: int) -> LoggableDays:
    school_class = await workable_class(actor, class_id)
    school = school_class.school
    last = clock.today()
    first = last - timedelta(days=BOT_DAYS_BACK)
    calendar = await school_calendar(school.id, first, last)
    days = [last - timedelta(days=back) for back in range(BOT_DAYS_BACK + 1)]
    return LoggableDays(
        [day for day in days if calendar.teaches(day)],
        rules_of(school).lessons_per_day,
        school_class.name,
        school.id,
    )


async def student_at_risk_of_absence(actor: Actor, student_id: int) -> Student:
    """The student an early warning is about, if the recipient may still see them."""
    student = await visible_student(actor, student_id)
    await audit.read(actor.id, "student", student.id, "absence_level")
    return student
