"""A school's roster kept in sync with its register: an upsert by the register's student ref.

A full import is the whole roster: new refs are added, changed names, classes and family
languages updated, students missing from it leave the lists (`left_at`; records and plans stay),
and a student who left and is back returns. A partial import only adds and updates. The file is
taken whole or not at all, and an import that changes nothing writes nothing.
"""

import re
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, coordinated_school
from core.catalogues import LANGUAGES
from core.clock import today
from core.csv_import import CellProblem, Format, find_columns, read_records
from core.errors import AccessDenied, Conflict, DomainError, InvalidInput, NotFound
from core.i18n import N_
from core.services.schools import NAME_LIMIT, grade_of
from core.text import clean_line, clean_name
from storage.models import School, SchoolClass, Student

MAX_ROSTER_ROWS = 5000
BATCH = 500  # rows in one bulk insert or update
SAMPLE = 10  # refs named per kind of change
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/.\-]{0,39}")
PERSONAL_CODE = re.compile(r"\d{6}-?\d{5}")
COLUMNS = {
    "student_ref": ("student_ref", "ref", "pupil_id", "skolena_id", "skolena_nr", "registra_nr"),
    "class": ("class", "klase"),
    "first_name": ("first_name", "vards"),
    "last_name": ("last_name", "uzvards"),
    "family_language": ("family_language", "language", "gimenes_valoda", "valoda"),
}
REQUIRED = ("student_ref", "class", "first_name", "last_name")
KINDS = ("added", "updated", "moved_class", "left", "returned")


@dataclass(frozen=True)
class RosterRow:
    line: int
    ref: str
    class_name: str
    first_name: str
    last_name: str
    family_language: str | None  # None: not given (a new student gets lv, others keep theirs)


@dataclass
class RosterResult:
    """What an import changed (or, in a dry run, would change) and what it found in the file."""

    rows: int = 0
    added: int = 0
    updated: int = 0  # names or family language changed
    updated_fields: dict[str, int] = field(default_factory=dict)  # field -> students
    moved_class: int = 0
    left: int = 0
    returned: int = 0
    unchanged: int = 0
    classes_created: int = 0
    refs: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    found: Format = field(default_factory=Format)
    partial: bool = False
    dry_run: bool = False

    def note(self, kind: str, ref: str | None) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if ref and len(self.refs[kind]) < SAMPLE:
            self.refs[kind].append(ref)

    @property
    def changes(self) -> int:
        return self.added + self.updated + self.moved_class + self.left + self.returned


async def import_roster(
    actor: Actor | None,
    school_id: int,
    chunks: AsyncIterable[bytes],
    *,
    partial: bool = False,
    dry_run: bool = False,
) -> RosterResult:
    """Upsert the school's roster from a CSV file read a chunk at a time; all rows or none.

    `actor` None is the operator at the command line. A bad cell raises CellProblem naming its
    line and column; a dry run answers what would change and writes nothing. A fixed number of
    queries whatever the size (bulk writes of BATCH rows).
    """
    await _school_to_import_into(actor, school_id)
    result = RosterResult(partial=partial, dry_run=dry_run)
    rows = await _read_roster(chunks, result.found)
    result.rows = len(rows)
    classes = {c.name: c.id for c in await SchoolClass.filter(school_id=school_id)}
    students = [
        _Enrolled(*values)
        for values in await Student.filter(school_id=school_id, erased_at__isnull=True).values_list(
            *_Enrolled.FIELDS
        )
    ]
    plan = _plan(rows, classes, students, partial, result)
    new_classes = sorted({row.class_name for row in rows} - set(classes))
    result.classes_created = len(new_classes)
    if dry_run or not (result.changes or new_classes):
        return result
    try:
        await _write(actor, school_id, new_classes, classes, plan)
    except IntegrityError:  # another import of the school's roster, or a move, at the same time
        raise Conflict(
            N_("The school's roster changed while this file was read. Please import it again.")
        ) from None
    return result


async def _write(
    actor: Actor | None,
    school_id: int,
    new_classes: list[str],
    classes: dict[str, int],
    plan: "_Plan",
) -> None:
    """Write the plan in one transaction: a bulk insert per BATCH new students, one batch of
    updates (executemany), one update of the leavers."""
    async with in_transaction() as connection:
        if new_classes:
            await SchoolClass.bulk_create(
                [SchoolClass(school_id=school_id, name=n, grade=grade_of(n)) for n in new_classes]
            )
            classes = {c.name: c.id for c in await SchoolClass.filter(school_id=school_id)}
        if plan.added:
            await Student.bulk_create(
                [
                    Student(
                        school_id=school_id,
                        school_class_id=classes[row.class_name],
                        first_name=row.first_name,
                        last_name=row.last_name,
                        family_language=row.family_language or "lv",
                        student_ref=row.ref,
                    )
                    for row in plan.added
                ],
                batch_size=BATCH,
            )
        if plan.changed:
            for student, class_name in plan.changed:
                if class_name is not None:
                    student.school_class_id = classes[class_name]
            await connection.execute_many(  # in id order, as absence levels lock students
                _update_sql(connection.capabilities.dialect),
                [
                    [*student.values(), student.id]
                    for student, _ in sorted(plan.changed, key=lambda change: change[0].id)
                ],
            )
        if plan.leaving:
            await Student.filter(id__in=plan.leaving).update(left_at=today())
        await audit.record(actor.id if actor else None, "roster.import", "school", school_id)


def _update_sql(dialect: str) -> str:
    """`UPDATE student SET <the fields> WHERE id = ?`, in the dialect's placeholders."""
    names = _Enrolled.FIELDS[1:]
    marks = [f"${n}" if dialect == "postgres" else "?" for n in range(1, len(names) + 2)]
    assignments = ", ".join(f"{name} = {mark}" for name, mark in zip(names, marks, strict=False))
    return f"UPDATE student SET {assignments} WHERE id = {marks[-1]}"


@dataclass
class _Enrolled:
    """A student of the school as the import compares them: a row, not a model (cheaper)."""

    FIELDS: ClassVar[tuple[str, ...]] = (
        "id",
        "student_ref",
        "first_name",
        "last_name",
        "family_language",
        "school_class_id",
        "left_at",
    )
    id: int
    student_ref: str | None
    first_name: str
    last_name: str
    family_language: str
    school_class_id: int
    left_at: date | None

    def values(self) -> list[object]:
        """The fields after the id, in FIELDS' order."""
        return [getattr(self, name) for name in self.FIELDS[1:]]


@dataclass
class _Plan:
    added: list[RosterRow] = field(default_factory=list)
    changed: list[tuple[_Enrolled, str | None]] = field(default_factory=list)  # new class or None
    leaving: list[int] = field(default_factory=list)


def _plan(
    rows: list[RosterRow],
    classes: dict[str, int],
    students: list[_Enrolled],
    partial: bool,
    result: RosterResult,
) -> _Plan:
    """What to write: each row matched to a student by ref (or, for a student without a ref
    yet, by class and name), the changes counted in `result`; the students to change in place."""
    by_ref = {s.student_ref: s for s in students if s.student_ref}
    without_ref: dict[tuple[int, str, str], list[_Enrolled]] = {}
    for s in students:
        if not s.student_ref:
            key = (s.school_class_id, s.first_name.casefold(), s.last_name.casefold())
            without_ref.setdefault(key, []).append(s)
    plan = _Plan()
    seen: set[int] = set()
    for row in rows:
        student = by_ref.get(row.ref) or _adopted(row, classes, without_ref)
        if student is None:
            plan.added.append(row)
            result.note("added", row.ref)
            continue
        seen.add(student.id)
        changed = _update(student, row, classes, result)
        if changed is not None:
            plan.changed.append((student, changed or None))
        else:
            result.unchanged += 1
    if not partial:
        for student in students:
            if student.id not in seen and student.left_at is None:
                plan.leaving.append(student.id)
                result.note("left", student.student_ref)
    return plan


def _adopted(
    row: RosterRow,
    classes: dict[str, int],
    without_ref: dict[tuple[int, str, str], list[_Enrolled]],
) -> _Enrolled | None:
    """The one student without a ref yet of this class and name (rosters imported before refs)."""
    key = (classes.get(row.class_name, -1), row.first_name.casefold(), row.last_name.casefold())
    candidates = without_ref.get(key, [])
    return candidates.pop() if len(candidates) == 1 else None


def _update(
    student: _Enrolled, row: RosterRow, classes: dict[str, int], result: RosterResult
) -> str | None:
    """Apply the row to the student in memory; None when nothing changes, else the new class's
    name when the class changes ('' when it does not). A ref given to a student imported before
    refs counts as an update of `student_ref`."""
    updated = [
        name
        for name, value in (
            ("student_ref", row.ref),
            ("first_name", row.first_name),
            ("last_name", row.last_name),
            ("family_language", row.family_language),
        )
        if value is not None and getattr(student, name) != value
    ]
    for name in updated:
        setattr(student, name, row.ref if name == "student_ref" else getattr(row, name))
        result.updated_fields[name] = result.updated_fields.get(name, 0) + 1
    if updated:
        result.note("updated", row.ref)
    moved = classes.get(row.class_name) != student.school_class_id
    if moved:
        result.note("moved_class", row.ref)
    returned = student.left_at is not None
    if returned:
        student.left_at = None
        result.note("returned", row.ref)
    if not (updated or moved or returned):
        return None
    return row.class_name if moved else ""


async def _school_to_import_into(actor: Actor | None, school_id: int) -> School:
    if actor is not None:
        return await coordinated_school(actor, school_id)
    school = await School.get_or_none(id=school_id)
    if school is None:
        raise NotFound()
    return school


# Reading the file


async def _read_roster(chunks: AsyncIterable[bytes], found: Format) -> list[RosterRow]:
    """Every row of the file, checked; the first problem raised naming its line and column."""
    rows: list[RosterRow] = []
    refs: dict[str, int] = {}
    columns: dict[str, tuple[int, str]] | None = None
    async for line, cells in read_records(chunks, found):
        if columns is None:
            columns = find_columns(line, cells, COLUMNS, REQUIRED)
            continue
        row = _row(line, cells, columns)
        if row.ref in refs:
            raise CellProblem(
                line,
                columns["student_ref"][1],
                InvalidInput(N_("this student ref is already on line {line}."), line=refs[row.ref]),
            )
        refs[row.ref] = line
        rows.append(row)
        if len(rows) > MAX_ROSTER_ROWS:
            raise InvalidInput(
                N_("A roster may hold at most {count} students."), count=MAX_ROSTER_ROWS
            )
    if not rows:
        raise InvalidInput(N_("The roster is empty."))
    return rows


def _row(line: int, cells: list[str], columns: dict[str, tuple[int, str]]) -> RosterRow:
    """One data row checked; a row may end early when its last cells are optional and empty."""
    for column in REQUIRED:
        index, name = columns[column]
        if index >= len(cells):
            raise CellProblem(line, name, InvalidInput(N_("this cell is missing.")))
    cells = cells + [""] * (max(index for index, _ in columns.values()) + 1 - len(cells))

    def cell(column: str, clean: Callable[[str], str]) -> str:
        index, name = columns[column]
        try:
            return clean(cells[index])
        except DomainError as problem:
            raise CellProblem(line, name, problem) from None

    def check(column: str, ok: bool, problem: str) -> None:
        if not ok:
            raise CellProblem(line, columns[column][1], InvalidInput(problem))

    ref = cell("student_ref", clean_line)
    check("student_ref", not PERSONAL_CODE.fullmatch(ref), _PERSONAL_CODE)
    check("student_ref", bool(REF.fullmatch(ref)), _REF)
    class_name = cell("class", clean_name)
    check("class", grade_of(class_name) > 0 and len(class_name) <= 20, _CLASS)
    first, last = cell("first_name", clean_name), cell("last_name", clean_name)
    check("first_name", 0 < len(first) <= NAME_LIMIT, _NAME)
    check("last_name", 0 < len(last) <= NAME_LIMIT, _NAME)
    language = cell("family_language", clean_line).lower() if "family_language" in columns else ""
    check("family_language", language in ("", *LANGUAGES), _LANGUAGE)
    return RosterRow(line, ref, class_name, first, last, language or None)


_PERSONAL_CODE = N_(
    "this looks like a personal identity code. Use the pupil's id from the school register "
    "(the e-journal), never the personal code."
)
_REF = N_("the student ref must be 1 to 40 letters, digits or - _ / . (the register's pupil id).")
_CLASS = N_("the class must start with its grade, like 7.a.")
_NAME = N_("a name is needed, at most 80 characters.")
_LANGUAGE = N_("the family language must be one of lv, ru, uk, en.")


# Moving school


async def move_student(
    actor: Actor | None,
    student_id: int,
    to_school_id: int,
    *,
    class_name: str,
    student_ref: str | None = None,
) -> Student:
    """Move a student to another school of the programme, into a class there (made if needed).

    Their plans and records go with them and keep the school they were written at; the new
    school sees them from now on, the old one no longer does. Who may: a municipality coordinator
    over both schools, or the operator (actor None: between municipalities). Not the programme
    administrator, who sees no student data.
    """
    student = await Student.get_or_none(id=student_id, erased_at__isnull=True).select_related(
        "school"
    )
    target = await School.get_or_none(id=to_school_id)
    if actor is not None:
        if student is None or not _sees(actor, student):
            raise NotFound()
        if student.school.municipality_id not in actor.municipality_ids:
            raise AccessDenied()
        if target is None or target.municipality_id not in actor.municipality_ids:
            raise NotFound()
    if student is None or target is None:
        raise NotFound()
    if target.id == student.school_id:
        raise InvalidInput(N_("The student is already at this school."))
    class_name = clean_name(class_name)
    if not grade_of(class_name) or len(class_name) > 20:
        raise InvalidInput(_CLASS_FULL)
    ref = clean_line(student_ref) if student_ref else None
    if ref is not None and (PERSONAL_CODE.fullmatch(ref) or not REF.fullmatch(ref)):
        raise InvalidInput(_REF_FULL)
    if ref and await Student.exists(school_id=target.id, student_ref=ref):
        raise InvalidInput(N_("Another student of that school already has this student ref."))
    from_school = student.school_id
    async with in_transaction():
        school_class, _ = await SchoolClass.get_or_create(
            school_id=target.id, name=class_name, defaults={"grade": grade_of(class_name)}
        )
        student.school_id = target.id
        student.school_class_id = school_class.id
        student.student_ref = ref
        student.left_at = None
        await student.save(update_fields=["school_id", "school_class_id", "student_ref", "left_at"])
        who = actor.id if actor else None
        await audit.record(who, "student.move_out", "school", from_school)
        await audit.record(who, "student.move", "student", student.id)
    return student


_CLASS_FULL = N_("The class must start with its grade, like 7.a.")
_REF_FULL = N_(
    "The student ref must be the pupil's id from the school register (1 to 40 letters, digits "
    "or - _ / .), never a personal identity code."
)


def _sees(actor: Actor, student: Student) -> bool:
    return (
        student.school_id in actor.staff_school_ids
        or student.school.municipality_id in actor.municipality_ids
    )
