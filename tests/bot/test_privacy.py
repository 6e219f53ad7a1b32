"""Privacy in the bot: reading a student's card is audited; /privacy says what is kept and why."""

from cachetools import Cache, TTLCache

from bot.scheduler import create_scheduler
from core import kept
from core.services import signals
from handlers import pickers
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


async def test_names_kept_for_the_flows_leave_memory_within_a_minute_of_expiring(
    monkeypatch, world
):
    now = [0.0]
    buttons = TTLCache(maxsize=100, ttl=pickers.BUTTON_SECONDS, timer=lambda: now[0])
    copies = TTLCache(maxsize=100, ttl=kept.KEEP_SECONDS, timer=lambda: now[0])
    monkeypatch.setattr(pickers, "_buttons", buttons)
    monkeypatch.setattr(kept, "_kept", copies)
    pickers.button("Anna Kalnina", "ab_t:7")

    async def label() -> str:
        return "Anna Kalnina, 7.a"

    await kept.kept("token", ("label", 7), world.teacher_a, label)
    now[0] += max(pickers.BUTTON_SECONDS, kept.KEEP_SECONDS)  # and nobody writes meanwhile
    assert held(buttons) == held(copies) == 1
    scheduler = create_scheduler("0 8 * * mon", None)
    job = scheduler.get_job("forget-expired")
    assert job.trigger.interval.total_seconds() <= 60
    await job.func()
    assert held(buttons) == held(copies) == 0


def held(cache: TTLCache) -> int:
    """What a cache holds in memory (its own `len()` would let the expired go first)."""
    return Cache.__len__(cache)
