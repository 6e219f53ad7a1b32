"""The programme's organisations: municipalities, schools (with their own settings and holidays)
and youth NGOs, one by one or schools in bulk from a CSV file.

`actor` None is the operator at the command line, trusted like the programme administrator.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import audit
from core.access import (
    Actor,
    configurable_school,
    require_programme_admin,
    visible_school,
)
from core.catalogues import (
    ABSENCE_CAUTION_PERCENT,
    ABSENCE_HIGH_PERCENT,
    SCHOOL_KINDS,
)
from core.csv_import import Format, LineProblem, chunks_of, read_records
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.i18n import N_
from core.text import clean_line, clean_name
from storage.columns import column
from storage.models import Iap, Municipality, Ngo, School, SchoolHoliday

MUNICIPALITY_NAME_LIMIT = 120
SCHOOL_NAME_LIMIT = 200
NGO_NAME_LIMIT = 200
HOLIDAY_NAME_LIMIT = 120
LESSONS_PER_DAY_RANGE = (1, 10)
WINDOW_DAYS_RANGE = (7, 90)
LONGEST_HOLIDAY = timedelta(days=365)
MAX_SCHOOL_ROWS = 2000
SCHOOLS_HEADER = ["municipality", "school", "kind", "state_vocational"]
YES = ("yes", "true", "1")
NO = ("no", "false", "0", "")


def _actor_id(actor: Actor | None) -> int | None:
    return actor.id if actor else None


def _key(name: str) -> str:
    """A name as it is compared: in any letter case, in Python (SQLite's UPPER is ASCII only)."""
    return name.casefold()


def _name(text: str, limit: int) -> str:
    name = clean_name(text)
    if not name or len(name) > limit:
        raise InvalidInput(N_("Give a name of at most {limit} characters."), limit=limit)
    return name


# Municipalities


async def list_municipalities(actor: Actor | None) -> list[Municipality]:
    require_programme_admin(actor)
    return await Municipality.all().order_by("name")


async def create_municipality(actor: Actor | None, name: str) -> Municipality:
    require_programme_admin(actor)
    name = _name(name, MUNICIPALITY_NAME_LIMIT)
    await _unique_municipality_name(name, None)
    try:
        async with in_transaction():
            municipality = await Municipality.create(name=name)
            await audit.record(
                _actor_id(actor), "municipality.create", "municipality", municipality.id
            )
    except IntegrityError:  # created at the same moment by someone else
        raise Conflict(N_("A municipality of this name already exists.")) from None
    return municipality


async def _unique_municipality_name(name: str, municipality_id: int | None) -> None:
    others = Municipality.all()
    if municipality_id is not None:
        others = others.exclude(id=municipality_id)
    if _key(name) in {_key(other) for other in await column(others, "name")}:
        raise Conflict(N_("A municipality of this name already exists."))


async def rename_municipality(actor: Actor | None, municipality_id: int, name: str) -> Municipality:
    require_programme_admin(actor)
    municipality = await _municipality(municipality_id)
    name = _name(name, MUNICIPALITY_NAME_LIMIT)
    await _unique_municipality_name(name, municipality_id)
    try:
        async with in_transaction():
            municipality.name = name
            await municipality.save(update_fields=["name"])
            await audit.record(
                _actor_id(actor), "municipality.update", "municipality", municipality.id
            )
    except IntegrityError:
        raise Conflict(N_("A municipality of this name already exists.")) from None
    return municipality


async def _municipality(municipality_id: int) -> Municipality:
    municipality = await Municipality.get_or_none(id=municipality_id)
    if municipality is None:
        raise NotFound()
    return municipality


# Schools


async def list_schools(actor: Actor | None, municipality_id: int | None = None) -> list[School]:
    """Every school of the programme (or of one municipality): the administrator's list."""
    require_programme_admin(actor)
    query = School.all()
    if municipality_id is not None:
        query = query.filter(municipality_id=(await _municipality(municipality_id)).id)
    return await query.order_by("name", "id")


def _kind(kind: str, state_vocational: bool) -> str:
    if kind not in SCHOOL_KINDS:
        raise InvalidInput(N_("The kind of a school is general or vocational."))
    if state_vocational and kind != "vocational":
        raise InvalidInput(N_("Only a vocational school can be a state vocational school."))
    return kind


async def _unique_school_name(name: str, municipality_id: int, school_id: int | None) -> None:
    others = School.filter(municipality_id=municipality_id)
    if school_id is not None:
        others = others.exclude(id=school_id)
    if _key(name) in {_key(other) for other in await column(others, "name")}:
        raise Conflict(N_("This municipality already has a school of this name."))


async def create_school(
    actor: Actor | None,
    municipality_id: int,
    name: str,
    kind: str,
    state_vocational: bool = False,
) -> School:
    """A new school of a municipality; state vocational schools skip the municipality's approval."""
    require_programme_admin(actor)
    await _municipality(municipality_id)
    name = _name(name, SCHOOL_NAME_LIMIT)
    kind = _kind(kind, state_vocational)
    await _unique_school_name(name, municipality_id, None)
    async with in_transaction():
        school = await School.create(
            name=name,
            kind=kind,
            state_vocational=state_vocational,
            municipality_id=municipality_id,
        )
        await audit.record(_actor_id(actor), "school.create", "school", school.id)
    return school


IDENTITY = ("name", "kind", "state_vocational")  # the administrator's: they decide the approvals
SETTINGS = (
    "lessons_per_day",
    "absence_caution_percent",
    "absence_high_percent",
    "absence_window_days",
)


async def edit_school(actor: Actor | None, school_id: int, **changes: object) -> School:
    """Change a school's name, kind and state-vocational flag (the administrator only) and its
    own settings (also its coordinators); a setting set to None goes back to the programme's
    default. Fields not given, and name, kind or flag given as None, stay as they are."""
    school = await configurable_school(actor, school_id)
    fields = [field for field in (*IDENTITY, *SETTINGS) if field in changes]
    if len(fields) != len(changes):
        raise ValueError(f"not a school field: {sorted(set(changes) - set(fields))}")
    if not fields:
        return school
    identity = any(changes.get(field) is not None for field in IDENTITY)
    if identity and actor is not None and not actor.is_programme_admin:
        raise AccessDenied()
    if (name := changes.get("name")) is not None:
        school.name = _name(str(name), SCHOOL_NAME_LIMIT)
        await _unique_school_name(school.name, school.municipality_id, school.id)
    if (kind := changes.get("kind")) is not None:
        school.kind = str(kind)
    skipped_the_municipality = school.state_vocational
    if (state_vocational := changes.get("state_vocational")) is not None:
        school.state_vocational = bool(state_vocational)
    _kind(school.kind, school.state_vocational)
    if (
        school.state_vocational
        and not skipped_the_municipality
        and await _plans_at_the_municipality(school.id)
    ):
        raise Conflict(
            N_(
                "Some plans of this school are waiting for the municipality's approval. Have "
                "them approved or returned first: a state vocational school's plans skip the "
                "municipality."
            )
        )
    if "lessons_per_day" in changes:
        school.lessons_per_day = _whole(
            changes["lessons_per_day"],
            LESSONS_PER_DAY_RANGE,
            N_("Lessons per school day: a whole number from {low} to {high}."),
        )
    if "absence_window_days" in changes:
        school.absence_window_days = _whole(
            changes["absence_window_days"],
            WINDOW_DAYS_RANGE,
            N_("The absence window: a whole number of days from {low} to {high}."),
        )
    if "absence_caution_percent" in changes:
        school.absence_caution_percent = _percent(changes["absence_caution_percent"])
    if "absence_high_percent" in changes:
        school.absence_high_percent = _percent(changes["absence_high_percent"])
    caution = school.absence_caution_percent or Decimal(ABSENCE_CAUTION_PERCENT)
    high = school.absence_high_percent or Decimal(ABSENCE_HIGH_PERCENT)
    if not caution < high:
        raise InvalidInput(
            N_(
                "The caution threshold ({caution} %) must be below the high-risk threshold "
                "({high} %)."
            ),
            caution=caution,
            high=high,
        )
    async with in_transaction():
        await school.save(update_fields=fields)
        await audit.record(_actor_id(actor), "school.update", "school", school.id)
    return school


async def _plans_at_the_municipality(school_id: int) -> bool:
    """Plans of the school signed by the school and waiting for the municipality: with the
    school made state vocational their chain would be complete, and nobody could sign them."""
    return await Iap.filter(
        student__school_id=school_id, status="in_approval", approvals__step="school"
    ).exists()


def _whole(value: object, bounds: tuple[int, int], message: str) -> int | None:
    if value is None:
        return None
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(message, low=low, high=high)
    return value


def _percent(value: object) -> Decimal | None:
    """A threshold in percent: above 0, at most 100, at most one decimal; None: the default."""
    if value is None:
        return None
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or not 0 < percent <= 100 or percent != round(percent, 1):
        raise InvalidInput(
            N_("A threshold is a percentage above 0 and at most 100, with at most one decimal.")
        )
    return round(percent, 1)


# Holidays


async def list_holidays(actor: Actor | None, school_id: int) -> list[SchoolHoliday]:
    """The school's own holidays: for its staff, its coordinators and the administrator."""
    if actor is not None and not actor.is_programme_admin:
        await visible_school(actor, school_id)
    else:
        await configurable_school(actor, school_id)
    return await SchoolHoliday.filter(school_id=school_id).order_by("first_day")


async def add_holiday(
    actor: Actor | None,
    school_id: int,
    first_day: date,
    last_day: date,
    name: str | None = None,
) -> SchoolHoliday:
    """A break or closure of the school's own: days it does not teach, beyond the national ones."""
    await configurable_school(actor, school_id)
    if last_day < first_day:
        raise InvalidInput(N_("A holiday's last day cannot be before its first day."))
    if last_day - first_day >= LONGEST_HOLIDAY:
        raise InvalidInput(N_("A holiday lasts at most a year."))
    name = clean_line(name) if name is not None else None
    if name and len(name) > HOLIDAY_NAME_LIMIT:
        raise InvalidInput(
            N_("Give a name of at most {limit} characters."), limit=HOLIDAY_NAME_LIMIT
        )
    if await SchoolHoliday.exists(school_id=school_id, first_day=first_day):
        raise Conflict(N_("This school already has a holiday starting on that day."))
    async with in_transaction():
        holiday = await SchoolHoliday.create(
            school_id=school_id, first_day=first_day, last_day=last_day, name=name or None
        )
        await audit.record(_actor_id(actor), "school_holiday.create", "school_holiday", holiday.id)
    return holiday


async def remove_holiday(actor: Actor | None, holiday_id: int) -> None:
    holiday = await SchoolHoliday.get_or_none(id=holiday_id)
    if holiday is None:
        raise NotFound()
    await configurable_school(actor, holiday.school_id)
    async with in_transaction():
        await holiday.delete()
        await audit.record(_actor_id(actor), "school_holiday.delete", "school_holiday", holiday_id)


# Youth NGOs


async def list_ngos(actor: Actor | None, municipality_id: int | None = None) -> list[Ngo]:
    require_programme_admin(actor)
    query = Ngo.all()
    if municipality_id is not None:
        query = query.filter(municipality_id=(await _municipality(municipality_id)).id)
    return await query.order_by("name", "id")


async def create_ngo(actor: Actor | None, municipality_id: int, name: str) -> Ngo:
    """A youth NGO or youth group running peer activities in a municipality."""
    require_programme_admin(actor)
    await _municipality(municipality_id)
    name = _name(name, NGO_NAME_LIMIT)
    async with in_transaction():
        ngo = await Ngo.create(name=name, municipality_id=municipality_id)
        await audit.record(_actor_id(actor), "ngo.create", "ngo", ngo.id)
    return ngo


async def edit_ngo(
    actor: Actor | None,
    ngo_id: int,
    *,
    name: str | None = None,
    municipality_id: int | None = None,
) -> Ngo:
    """Rename an organisation or move it to another municipality."""
    require_programme_admin(actor)
    ngo = await Ngo.get_or_none(id=ngo_id)
    if ngo is None:
        raise NotFound()
    if municipality_id is not None:
        ngo.municipality_id = (await _municipality(municipality_id)).id
    if name is not None:
        ngo.name = _name(name, NGO_NAME_LIMIT)
    async with in_transaction():
        await ngo.save(update_fields=["name", "municipality_id"])
        await audit.record(_actor_id(actor), "ngo.update", "ngo", ngo.id)
    return ngo


# Schools in bulk


@dataclass(frozen=True)
class SchoolRow:
    line: int
    municipality: str
    name: str
    kind: str
    state_vocational: bool


@dataclass(frozen=True)
class SchoolImport:
    municipalities_created: int
    created: int
    updated: int
    unchanged: int


async def import_schools(actor: Actor | None, content: bytes | str) -> SchoolImport:
    """Create or update schools from CSV rows `municipality,school,kind,state_vocational`.

    Municipalities are created when missing; a school of the same name (in any letter case) in
    the same municipality is updated, not doubled, so importing a file again changes nothing.
    All rows or none: a bad row raises InvalidInput naming its line, and nothing is saved.
    """
    require_programme_admin(actor)
    rows = await _parse_schools(content.encode() if isinstance(content, str) else content)
    municipalities = {_key(m.name): m for m in await Municipality.all()}
    schools = {(s.municipality_id, _key(s.name)): s for s in await School.all()}
    async with in_transaction():
        municipalities_created = created = updated = unchanged = 0
        for row in rows:
            municipality = municipalities.get(_key(row.municipality))
            if municipality is None:
                municipality = await Municipality.create(name=row.municipality)
                municipalities[_key(row.municipality)] = municipality
                municipalities_created += 1
                await audit.record(
                    _actor_id(actor), "municipality.create", "municipality", municipality.id
                )
            school = schools.get((municipality.id, _key(row.name)))
            wanted: dict[str, Any] = {
                "name": row.name,
                "kind": row.kind,
                "state_vocational": row.state_vocational,
            }
            if school is None:
                school = await School.create(municipality_id=municipality.id, **wanted)
                await audit.record(_actor_id(actor), "school.create", "school", school.id)
                created += 1
            elif any(getattr(school, field) != value for field, value in wanted.items()):
                await School.filter(id=school.id).update(**wanted)
                await audit.record(_actor_id(actor), "school.update", "school", school.id)
                updated += 1
            else:
                unchanged += 1
    return SchoolImport(municipalities_created, created, updated, unchanged)


async def _parse_schools(content: bytes) -> list[SchoolRow]:
    """The file's rows, read as the roster is (UTF-8 or cp1257, any separator and line end)."""
    rows: list[SchoolRow] = []
    first_line: dict[tuple[str, str], int] = {}
    header_seen = False
    async for line, raw in read_records(chunks_of(content), Format()):
        cells = _cleaned(line, raw)
        if not header_seen:
            if [cell.lower() for cell in cells] != SCHOOLS_HEADER[: len(cells)] or len(cells) < 3:
                raise InvalidInput(
                    N_("Line {line}: the first line must be the header {header}."),
                    line=line,
                    header=",".join(SCHOOLS_HEADER),
                )
            header_seen = True
            continue
        row = _school_row(line, cells)
        key = (_key(row.municipality), _key(row.name))
        if key in first_line:
            raise InvalidInput(
                N_("Line {line}: this school is already on line {first}."),
                line=line,
                first=first_line[key],
            )
        first_line[key] = line
        rows.append(row)
        if len(rows) > MAX_SCHOOL_ROWS:
            raise InvalidInput(
                N_("A file may hold at most {count} schools."), count=MAX_SCHOOL_ROWS
            )
    if not rows:
        raise InvalidInput(N_("The file has no schools."))
    return rows


def _cleaned(line: int, raw: list[str]) -> list[str]:
    """The record's cells by the text rule; a refused character names the line."""
    try:
        return [clean_line(cell) for cell in raw]
    except InvalidInput as problem:
        raise LineProblem(line, problem) from None


def _school_row(line: int, cells: list[str]) -> SchoolRow:
    if len(cells) not in (3, 4):
        raise InvalidInput(
            N_("Line {line}: expected municipality, school, kind, state vocational."), line=line
        )
    flag = cells[3].lower() if len(cells) == 4 else ""
    if flag not in YES + NO:
        raise InvalidInput(
            N_("Line {line}: state vocational is yes or no (or empty for no)."), line=line
        )
    if not cells[0] or not cells[1]:
        raise InvalidInput(
            N_("Line {line}: the municipality's and the school's names are needed."), line=line
        )
    try:
        municipality = _name(cells[0], MUNICIPALITY_NAME_LIMIT)
        name = _name(cells[1], SCHOOL_NAME_LIMIT)
        kind = _kind(cells[2].lower(), flag in YES)
    except InvalidInput as problem:
        raise LineProblem(line, problem) from None
    return SchoolRow(line, municipality, name, kind, flag in YES)
