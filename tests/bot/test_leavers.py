"""A student who left the school, or moved to another, is off the bot's lists; not their records."""

from core.csv_import import chunks_of
from core.services import iaps, rosters, signals

ROSTER_A = b"student_ref,class,first_name,last_name\nEK-1,7.a,Anna,Kalnina\nEK-3,8.b,Marta,Liepa\n"


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def test_a_leaver_is_not_in_the_class_list_nor_among_students_at_risk(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a2.id, "behaviour")
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    teacher = sim.user(101)  # world.teacher_a
    await teacher.send("/risk")
    assert labels((await teacher.press("7.a"))[-1]) == ["Anna Kalnina", "Janis Ozols"]

    # Janis Ozols is not in the register's export any more: he leaves the lists.
    await rosters.import_roster(world.coordinator_a, world.school_a.id, chunks_of(ROSTER_A))
    await teacher.send("/risk")
    assert labels((await teacher.press("7.a"))[-1]) == ["Anna Kalnina"]
    at_risk = (await teacher.send("/students"))[-1]
    assert labels(at_risk) == ["Anna Kalnina, 7.a: 1 signāls, nav plāna"]


async def test_a_moved_student_is_listed_at_the_new_school_with_their_plan(sim, world):
    await iaps.open_iap(world.teacher_a, world.student_a3.id)
    await rosters.move_student(None, world.student_a3.id, world.school_b.id, class_name="7.a")
    assert labels((await sim.user(101).send("/students"))[-1]) == ["Izvēlne"]  # nobody left
    at_b = (await sim.user(103).send("/students"))[-1]  # world.teacher_b
    assert labels(at_b) == ["Marta Liepa, 7.a: 0 signālu, Projekts"]
