"""The programme's organisations: who may create and edit them, the rules, the bulk import."""

from datetime import date
from decimal import Decimal

import pytest

from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.services import iaps, organisations
from core.services.people import create_invite, enroll_by_invite
from storage.models import AuditEvent, Invite, Municipality, Ngo, School, SchoolHoliday
from tests.world import submitted_plan

HEADER = "municipality,school,kind,state_vocational"
FILE = "\n".join(
    [
        HEADER,
        "Kalnciema novads,Kalnciema vidusskola,general,no",
        "Kalnciema novads,Kalnciema tehnikums,vocational,yes",
        "Ezerkalnes novads,Ezerkalnes sakumskola,general,",
    ]
)


def message(error: pytest.ExceptionInfo) -> str:
    return error.value.text("en")


async def test_the_administrator_creates_and_renames_a_municipality(world):
    municipality = await organisations.create_municipality(world.admin, "  Kalnciema   novads ")
    assert municipality.name == "Kalnciema novads"
    renamed = await organisations.rename_municipality(world.admin, municipality.id, "Kalnu novads")
    assert (await Municipality.get(id=municipality.id)).name == renamed.name == "Kalnu novads"
    actions = await AuditEvent.filter(entity="municipality").values_list("action", "person_id")
    assert actions == [
        ("municipality.create", world.admin.id),
        ("municipality.update", world.admin.id),
    ]
    with pytest.raises(Conflict):
        await organisations.create_municipality(world.admin, "ezerkalnes NOVADS")
    with pytest.raises(InvalidInput) as refused:
        await organisations.create_municipality(world.admin, "=cmd()")
    assert message(refused) == "A name must start with a letter or a digit."


@pytest.mark.parametrize("role", ["coordinator_m1", "coordinator_a", "teacher_a", "outsider"])
async def test_no_one_else_creates_organisations(world, role):
    actor = getattr(world, role)
    with pytest.raises(AccessDenied):
        await organisations.create_municipality(actor, "Kalnciema novads")
    with pytest.raises(AccessDenied):
        await organisations.create_school(actor, world.m1.id, "Jauna skola", "general")
    with pytest.raises(AccessDenied):
        await organisations.create_ngo(actor, world.m1.id, "Jauniesi")
    with pytest.raises(AccessDenied):
        await organisations.import_schools(actor, FILE)
    assert not await Municipality.filter(name="Kalnciema novads").exists()


async def test_a_school_s_kind_decides_whether_it_may_be_state_vocational(world):
    school = await organisations.create_school(
        world.admin, world.m2.id, "Priedaines tehnikums", "vocational", state_vocational=True
    )
    assert (school.kind, school.state_vocational, school.municipality_id) == (
        "vocational",
        True,
        world.m2.id,
    )
    with pytest.raises(InvalidInput) as refused:
        await organisations.create_school(world.admin, world.m2.id, "X", "general", True)
    assert message(refused) == "Only a vocational school can be a state vocational school."
    with pytest.raises(InvalidInput):
        await organisations.create_school(world.admin, world.m2.id, "X", "university")
    with pytest.raises(Conflict):
        await organisations.create_school(
            world.admin, world.m2.id, "priedaines VIDUSSKOLA", "general"
        )
    with pytest.raises(NotFound):
        await organisations.create_school(world.admin, 999_999, "X", "general")
    with pytest.raises(InvalidInput):  # a general school cannot become state vocational alone
        await organisations.edit_school(world.admin, world.school_a.id, state_vocational=True)
    edited = await organisations.edit_school(
        world.admin, world.school_a.id, kind="vocational", state_vocational=True, name="A tehnikums"
    )
    stored = await School.get(id=world.school_a.id)
    assert (stored.name, stored.kind, stored.state_vocational) == (
        "A tehnikums",
        "vocational",
        True,
    )
    assert edited.name == stored.name


async def test_settings_are_checked_and_none_is_the_programme_default(world):
    school_id = world.school_a.id
    await organisations.edit_school(
        world.coordinator_a,
        school_id,
        lessons_per_day=7,
        absence_caution_percent=Decimal("4.5"),
        absence_high_percent=12,
        absence_window_days=30,
    )
    stored = await School.get(id=school_id)
    assert stored.lessons_per_day == 7
    assert stored.absence_caution_percent == Decimal("4.5")
    assert stored.absence_high_percent == Decimal("12.0")
    assert stored.absence_window_days == 30

    bad = [
        ({"lessons_per_day": 0}, "Lessons per school day: a whole number from 1 to 10."),
        ({"lessons_per_day": 11}, "Lessons per school day: a whole number from 1 to 10."),
        ({"absence_window_days": 6}, "The absence window: a whole number of days from 7 to 90."),
        ({"absence_window_days": 91}, "The absence window: a whole number of days from 7 to 90."),
        ({"absence_caution_percent": 0}, None),
        ({"absence_high_percent": Decimal("100.1")}, None),
        ({"absence_caution_percent": Decimal("4.55")}, None),
        ({"absence_caution_percent": float("nan")}, None),
        (
            {"absence_caution_percent": 12},
            "The caution threshold (12.0 %) must be below the high-risk threshold (12.0 %).",
        ),
        (  # back to the default high (10 %) while the caution is 11
            {"absence_caution_percent": 11, "absence_high_percent": None},
            "The caution threshold (11.0 %) must be below the high-risk threshold (10 %).",
        ),
    ]
    for changes, text in bad:
        with pytest.raises(InvalidInput) as refused:
            await organisations.edit_school(world.admin, school_id, **changes)
        if text:
            assert message(refused) == text, changes
        else:
            assert "percentage above 0 and at most 100" in message(refused), changes
    assert (await School.get(id=school_id)).absence_caution_percent == Decimal("4.5")

    await organisations.edit_school(world.admin, school_id, absence_high_percent=100)
    await organisations.edit_school(
        world.coordinator_m1, school_id, lessons_per_day=None, absence_caution_percent=None
    )
    stored = await School.get(id=school_id)
    assert (stored.lessons_per_day, stored.absence_caution_percent) == (None, None)
    assert stored.absence_high_percent == Decimal("100.0")
    await organisations.edit_school(world.admin, school_id)  # nothing given: nothing written
    assert await AuditEvent.filter(action="school.update", entity_id=school_id).count() == 3


async def test_a_school_s_settings_are_its_coordinators_its_name_the_administrator_s(world):
    with pytest.raises(AccessDenied):  # staff of the school see it, but the settings are not theirs
        await organisations.edit_school(world.teacher_a, world.school_a.id, lessons_per_day=5)
    with pytest.raises(NotFound):  # another municipality's school: as if there were none
        await organisations.edit_school(world.coordinator_m2, world.school_a.id, lessons_per_day=5)
    with pytest.raises(AccessDenied):
        await organisations.edit_school(world.coordinator_a, world.school_a.id, name="Cits")
    with pytest.raises(AccessDenied):
        await organisations.edit_school(
            world.coordinator_m1, world.school_a.id, state_vocational=False
        )
    with pytest.raises(NotFound):
        await organisations.edit_school(world.admin, 999_999, lessons_per_day=5)
    assert (await School.get(id=world.school_a.id)).lessons_per_day is None


async def test_a_school_s_own_holidays(world):
    school_id = world.school_a.id
    autumn = await organisations.add_holiday(
        world.coordinator_a,
        school_id,
        date(2026, 10, 26),
        date(2026, 10, 30),
        " Rudens  brivdienas ",
    )
    assert autumn.name == "Rudens brivdienas"
    closure = await organisations.add_holiday(
        world.admin, school_id, date(2026, 9, 14), date(2026, 9, 14)
    )
    listed = await organisations.list_holidays(world.teacher_a, school_id)
    assert [(h.first_day, h.name) for h in listed] == [
        (date(2026, 9, 14), None),
        (date(2026, 10, 26), "Rudens brivdienas"),
    ]
    with pytest.raises(InvalidInput) as refused:
        await organisations.add_holiday(world.admin, school_id, date(2026, 5, 2), date(2026, 5, 1))
    assert message(refused) == "A holiday's last day cannot be before its first day."
    with pytest.raises(InvalidInput) as refused:
        await organisations.add_holiday(world.admin, school_id, date(2026, 1, 1), date(2027, 1, 1))
    assert message(refused) == "A holiday lasts at most a year."
    with pytest.raises(Conflict):
        await organisations.add_holiday(
            world.admin, school_id, date(2026, 10, 26), date(2026, 10, 27)
        )
    with pytest.raises(AccessDenied):
        await organisations.add_holiday(
            world.teacher_a, school_id, date(2026, 11, 2), date(2026, 11, 2)
        )
    with pytest.raises(NotFound):
        await organisations.list_holidays(world.coordinator_m2, school_id)
    with pytest.raises(NotFound):
        await organisations.remove_holiday(world.coordinator_m2, closure.id)
    with pytest.raises(AccessDenied):
        await organisations.remove_holiday(world.teacher_a, closure.id)
    await organisations.remove_holiday(world.coordinator_m1, closure.id)
    assert await SchoolHoliday.filter(school_id=school_id).count() == 1
    actions = await AuditEvent.filter(entity="school_holiday").values_list("action", flat=True)
    assert sorted(actions) == [
        "school_holiday.create",
        "school_holiday.create",
        "school_holiday.delete",
    ]


async def test_an_ngo_is_created_renamed_and_moved(world):
    ngo = await organisations.create_ngo(world.admin, world.m2.id, "Priedaines jauniesi")
    moved = await organisations.edit_ngo(
        world.admin, ngo.id, name="Jauniesu centrs", municipality_id=world.m1.id
    )
    stored = await Ngo.get(id=ngo.id)
    assert (
        (stored.name, stored.municipality_id)
        == ("Jauniesu centrs", world.m1.id)
        == (
            moved.name,
            moved.municipality_id,
        )
    )
    with pytest.raises(NotFound):
        await organisations.edit_ngo(world.admin, ngo.id, municipality_id=999_999)
    with pytest.raises(AccessDenied):
        await organisations.edit_ngo(world.coordinator_m1, ngo.id, name="Cits")


async def test_the_administrator_invites_the_first_coordinators_and_no_one_else(world):
    school = await organisations.create_school(world.admin, world.m2.id, "Jauna skola", "general")
    issued = await create_invite(world.admin, "school_coordinator", school_id=school.id)
    joined = await enroll_by_invite(issued.code, telegram_id=555, display_name="New Coordinator")
    assert joined.coordinated_school_ids == {school.id}
    municipal = await create_invite(
        world.admin, "municipality_coordinator", municipality_id=world.m2.id
    )
    assert municipal.invite.municipality_id == world.m2.id
    await create_invite(world.admin, "volunteer", ngo_id=world.ngo.id)
    another = await create_invite(world.admin, "programme_admin")
    admin = await enroll_by_invite(another.code, telegram_id=556, display_name="Second Admin")
    assert admin.is_programme_admin and not admin.is_coordinator
    for role, scope in [
        ("teacher", {"school_id": school.id}),
        ("parent", {"student_id": world.student_a1.id}),
    ]:
        with pytest.raises(AccessDenied):
            await create_invite(world.admin, role, **scope)
    with pytest.raises(NotFound):
        await create_invite(world.admin, "school_coordinator", school_id=999_999)
    with pytest.raises(AccessDenied):  # only an administrator or the operator names another
        await create_invite(world.coordinator_m1, "programme_admin")
    operator = await create_invite(None, "programme_admin")
    assert operator.invite.created_by_id is None
    assert await Invite.filter(role="programme_admin").count() == 2


async def test_the_administrator_sees_no_student_data(world):
    from core.access import school_scope, student_scope, visible_school, visible_student
    from core.services import iaps, schools

    assert world.admin.is_programme_admin
    assert await schools.list_students(world.admin) == []
    assert await School.filter(school_scope(world.admin)).count() == 0
    from storage.models import Student

    assert await Student.filter(student_scope(world.admin)).count() == 0
    with pytest.raises(NotFound):
        await visible_student(world.admin, world.student_a1.id)
    with pytest.raises(NotFound):
        await visible_school(world.admin, world.school_a.id)
    with pytest.raises(NotFound):
        await iaps.open_iap(world.admin, world.student_a1.id)


# Schools in bulk


async def test_a_file_creates_municipalities_and_schools_and_again_changes_nothing(world):
    first = await organisations.import_schools(world.admin, FILE)
    assert first == organisations.SchoolImport(
        municipalities_created=1, created=3, updated=0, unchanged=0
    )
    kalnciems = await Municipality.get(name="Kalnciema novads")
    schools = await School.filter(municipality_id=kalnciems.id).order_by("name")
    assert [(s.name, s.kind, s.state_vocational) for s in schools] == [
        ("Kalnciema tehnikums", "vocational", True),
        ("Kalnciema vidusskola", "general", False),
    ]
    events = await AuditEvent.all().count()
    again = await organisations.import_schools(world.admin, FILE)
    assert again == organisations.SchoolImport(0, 0, 0, 3)
    assert await School.all().count() == 4 + 3
    assert await AuditEvent.all().count() == events  # nothing written, nothing recorded

    changed = FILE.replace(
        "Kalnciema tehnikums,vocational,yes", "KALNCIEMA TEHNIKUMS,vocational,no"
    )
    third = await organisations.import_schools(None, changed)
    assert third == organisations.SchoolImport(0, 0, 1, 2)
    updated = await School.get(municipality_id=kalnciems.id, name="KALNCIEMA TEHNIKUMS")
    assert updated.state_vocational is False
    assert await School.all().count() == 7


async def test_an_existing_school_is_matched_in_its_own_municipality_only(world):
    content = f"{HEADER}\nPriedaines novads,Liepu pamatskola,general,no\n"
    result = await organisations.import_schools(world.admin, content)
    assert result.created == 1  # world's Liepu pamatskola is in the other municipality
    assert await School.filter(name="Liepu pamatskola").count() == 2


GOOD_ROW = "Kalnu novads,Laba skola,general,no"  # line 2 of every bad file below


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (["Kalnu novads,Kalnu skola,university,no"], "Line 3: The kind of a school"),
        (["Kalnu novads,Kalnu skola,general,yes"], "Line 3: Only a vocational school"),
        (["Kalnu novads,Kalnu skola,general,maybe"], "Line 3: state vocational is yes or no"),
        (["Kalnu novads,Kalnu skola"], "Line 3: expected municipality, school, kind"),
        (["Kalnu novads,,general"], "Line 3: the municipality's and the school's names"),
        (["Kalnu novads,=HYPERLINK(1),general"], "Line 3: A name must start with"),
        (["Kalnu novads," + "x" * 201 + ",general"], "Line 3: Give a name of at most 200"),
        (["", "Kalnu novads,laba SKOLA,general"], "Line 4: this school is already on line 2."),
    ],
)
async def test_a_bad_line_is_named_and_nothing_is_saved(world, rows, problem):
    await assert_refused(world, "\n".join([HEADER, GOOD_ROW, *rows]), problem)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (GOOD_ROW, "Line 1: the first line must be the header " + HEADER),
        (HEADER + "\n", "The file has no schools."),
    ],
)
async def test_a_file_without_its_header_or_its_schools_is_refused(world, content, problem):
    await assert_refused(world, content, problem)


async def assert_refused(world, content: str, problem: str) -> None:
    schools, municipalities = await School.all().count(), await Municipality.all().count()
    with pytest.raises(InvalidInput) as refused:
        await organisations.import_schools(world.admin, content)
    assert message(refused).startswith(problem), message(refused)
    assert (await School.all().count(), await Municipality.all().count()) == (
        schools,
        municipalities,
    )
    assert not await AuditEvent.filter(action__in=["school.create", "municipality.create"]).exists()


async def test_names_match_in_any_letter_case_latvian_letters_too(world):
    await organisations.import_schools(
        world.admin, f"{HEADER}\nĶekavas novads,Baldones skola,general"
    )
    again = f"{HEADER}\nĶEKAVAS NOVADS,BALDONES SKOLA,general"
    assert await organisations.import_schools(world.admin, again) == organisations.SchoolImport(
        municipalities_created=0, created=0, updated=1, unchanged=0
    )
    assert await School.filter(name="BALDONES SKOLA").count() == 1
    with pytest.raises(Conflict):
        await organisations.create_municipality(world.admin, "ķekavas Novads")


async def test_semicolons_crlf_and_a_byte_order_mark_are_read(world):
    content = "\ufeff" + FILE.replace(",", ";").replace("\n", "\r\n") + "\r\n"
    result = await organisations.import_schools(world.admin, content)
    assert (result.created, result.municipalities_created) == (3, 1)


async def test_a_school_made_state_vocational_leaves_no_plan_unsignable(world):
    """A plan signed by the school and waiting for the municipality would have its chain complete
    once the school skips the municipality: nobody could sign it, nobody would be asked."""
    waiting = await submitted_plan(world.student_a2, world.teacher_a)  # for the school's signature
    iap = await submitted_plan(world.student_a1, world.teacher_a)
    await iaps.approve_iap(world.coordinator_a, iap.id)  # now waits for the municipality
    with pytest.raises(Conflict) as refused:
        await organisations.edit_school(
            world.admin, world.school_a.id, kind="vocational", state_vocational=True
        )
    assert message(refused).startswith("Some plans of this school are waiting for the munici")
    assert not (await School.get(id=world.school_a.id)).state_vocational
    await iaps.approve_iap(world.coordinator_m1, iap.id)  # the chain it started with
    school = await organisations.edit_school(
        world.admin, world.school_a.id, kind="vocational", state_vocational=True
    )
    assert school.state_vocational
    assert (await iaps.approve_iap(world.coordinator_a, waiting.id)).status == "approved"
