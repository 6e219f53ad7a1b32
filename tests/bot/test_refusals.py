"""Every refusal reaches the user once, also when the tapped button's spinner was answered."""

from core.errors import NotFound
from core.i18n import gettext
from storage.models import Student

# A student out of the teacher's scope answers as a missing one.
NOT_FOUND_LV = gettext(NotFound().message, "lv")


async def test_a_refusal_after_the_spinner_was_answered_comes_as_a_message(sim, world):
    teacher = sim.user(101)  # world.teacher_a
    await teacher.send("/risk")
    await teacher.press("7.a")
    await teacher.press("Anna Kalnina")
    await teacher.press("Mācību darba")
    await teacher.press("Motivācijas trūkums")
    # Meanwhile the student moves to another school: the teacher may no longer see her.
    await Student.filter(id=world.student_a1.id).update(
        school_id=world.school_b.id, school_class_id=world.class_b7.id
    )
    replies = await teacher.press("Izlaist")  # answered at once, refused at the summary
    assert [sent.text for sent in replies] == [NOT_FOUND_LV]
    assert teacher.alerts == []


async def test_a_refusal_before_the_spinner_is_answered_is_an_alert(sim, world):
    teacher = sim.user(101)
    await teacher.send("/risk")
    await teacher.press("7.a")
    await Student.filter(id=world.student_a1.id).update(
        school_id=world.school_b.id, school_class_id=world.class_b7.id
    )
    replies = await teacher.press("Anna Kalnina")
    assert replies == []
    assert teacher.alerts == [NOT_FOUND_LV]
