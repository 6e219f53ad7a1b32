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


async def test_an_administrator_joins_and_is_told_where_administration_is_done(sim, world):
    issued = await create_invite(None, "programme_admin")
    admin = sim.user(5101, first_name="Ilga", language="lv")
    replies = await admin.send(f"/start {issued.code}")
    assert "Programmas administrators" in replies[0].text
    assert "pumpurs admin" in replies[-1].text
    assert "pumpurs admin" in (await admin.send("/menu"))[-1].text
    help_text = (await admin.send("/help"))[-1].text
    assert "pumpurs admin" in help_text
    assert "/absent" not in help_text
    assert "pumpurs admin" in (await admin.send("/cancel"))[-1].text


async def test_no_staff_or_family_command_is_the_administrator_s(sim, world):
    admin = sim.user(111)  # world.admin
    for command in STAFF_AND_FAMILY_COMMANDS:
        replies = await admin.send(command)
        assert len(replies) == 1, command
        assert "nav paredzēta Jūsu lomai" in replies[0].text, command
