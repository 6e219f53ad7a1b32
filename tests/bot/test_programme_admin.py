"""The programme administrator in the bot: joins, is greeted by role, and nothing breaks."""

from core.services.people import create_invite

STAFF_AND_FAMILY_COMMANDS = [
    "/students",
    "/absent",
    "/risk",
    "/consult",
    "/plan",
    "/iap",
    "/pending",
    "/invite",
    "/digest",
    "/needs",
    "/activity",
    "/activities",
]
COMMANDS = ["/menu", "/help", *STAFF_AND_FAMILY_COMMANDS, "/cancel"]


async def test_an_administrator_joins_and_every_command_answers_without_a_fault(sim, world):
    issued = await create_invite(None, "programme_admin")
    admin = sim.user(5101, first_name="Ilga", language="lv")
    replies = await admin.send(f"/start {issued.code}")
    assert "Programmas administrators" in replies[0].text
    assert "pumpurs admin" in replies[-1].text  # where the administration is done
    for command in COMMANDS:
        answers = await admin.send(command)
        assert answers, command
        for answer in answers:
            assert "Mūsu pusē radās kļūda" not in answer.text, (command, answer.text)
    for command in STAFF_AND_FAMILY_COMMANDS:  # none is the administrator's
        assert "nav paredzēta Jūsu lomai" in (await admin.send(command))[-1].text, command
    help_text = (await admin.send("/help"))[-1].text
    assert "pumpurs admin" in help_text
    assert "/absent" not in help_text


async def test_the_administrator_is_shown_no_student(sim, world):
    admin = sim.user(111)  # world.admin
    replies = await admin.send("/students")
    texts = " ".join(reply.text for reply in replies)
    for student in (world.student_a1, world.student_b1, world.student_c1):
        assert student.last_name not in texts
