"""Privacy in the bot: reading a student's card is audited; /privacy says what is kept and why."""

from core.services import signals
from storage.models import AuditEvent


async def test_opening_a_students_card_leaves_a_read_event_without_content(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    teacher = sim.user(101)
    await teacher.send("/students")
    await teacher.press("Anna Kalnina")
    event = await AuditEvent.get(action__startswith="read.")
    assert (event.person_id, event.action, event.entity, event.entity_id) == (
        world.teacher_a.id,
        "read.plan",
        "student",
        world.student_a1.id,
    )


async def test_privacy_says_what_is_kept_for_how_long_and_whom_to_ask(sim, world):
    text = (await sim.user(108).send("/privacy"))[-1].text
    assert "tiek glabāti 5 gadus pēc skolēna pēdējā atbalsta plāna beigām" in text
    assert "kas ir skatījis bērna datus" in text  # reads are logged
    assert "datu kopiju vai šo datu dzēšanu" in text
    assert "Valsts izglītības kvalitātes dienests (IKVD)" in text


async def test_privacy_follows_the_retention_setting_and_the_language(sim, world, monkeypatch):
    from core.services.people import set_locale

    monkeypatch.setenv("RETENTION_YEARS", "1")
    assert "tiek glabāti 1 gadu pēc" in (await sim.user(101).send("/privacy"))[-1].text
    await set_locale(world.parent_a1.id, "ru")
    monkeypatch.setenv("RETENTION_YEARS", "3")
    text = (await sim.user(108).send("/privacy"))[-1].text
    assert "данные хранятся 3 года после окончания" in text
    assert "Государственная служба качества образования (IKVD)" in text
    await set_locale(world.parent_a1.id, "uk")
    assert "зберігаються 3 роки після" in (await sim.user(108).send("/privacy"))[-1].text
