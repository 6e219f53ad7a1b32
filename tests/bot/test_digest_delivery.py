"""The weekly digest: on the schedule, once across instances, through the outbox, and on request."""

import asyncio
from datetime import datetime, time, timedelta

from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, SendPhoto
from redis.asyncio import Redis

from bot.i18n import create_i18n
from bot.pacing import Pacer
from bot.scheduler import create_scheduler, digest_trigger, queue_last_weeks_digests
from bot.sender import Sender
from core import chart, digest
from core.clock import RIGA
from core.digest import Week
from core.services import digests, outbox, signals
from core.services.digests import draw_charts_ahead, enqueue_weekly_digests
from core.services.people import set_locale
from storage.models import DigestChart, Membership, OutboxItem
from storage.query_counter import count_queries
from tests.bot.virtual_time import VirtualTime

COORDINATORS = 4  # coordinator_a, coordinator_v, coordinator_m1, coordinator_m2 in tests/world.py


def monday_noon(week: Week) -> datetime:
    """The Monday after the week, 12:00 in Riga: outside anyone's quiet hours."""
    return datetime.combine(week.start + timedelta(days=7), time(12), tzinfo=RIGA)


def test_the_schedule_is_monday_0800_in_riga_summer_and_winter():
    trigger = digest_trigger("0 8 * * mon")
    summer = trigger.get_next_fire_time(None, datetime(2026, 10, 21, 12, tzinfo=RIGA))
    winter = trigger.get_next_fire_time(None, datetime(2026, 10, 27, 12, tzinfo=RIGA))
    assert summer.isoformat() == "2026-10-26T08:00:00+02:00"  # the Monday after the change
    assert winter.isoformat() == "2026-11-02T08:00:00+02:00"
    spring = trigger.get_next_fire_time(None, datetime(2027, 3, 27, 12, tzinfo=RIGA))
    assert spring.isoformat() == "2027-03-29T08:00:00+03:00"


async def test_an_instance_started_soon_after_monday_0800_queues_the_missed_digests(world):
    monday = datetime(2026, 11, 23, tzinfo=RIGA)
    schedulers = {
        hour: create_scheduler("0 8 * * mon", None, now=monday.replace(hour=hour))
        for hour in (7, 10, 15)
    }
    for hour, scheduler in schedulers.items():
        jobs = {job.id for job in scheduler.get_jobs()}
        assert ("weekly-digest-catch-up" in jobs) is (hour == 10), hour
    scheduler = schedulers[10]
    scheduler.start()
    try:
        for _ in range(600):  # 30 s: the charts are drawn first, by a worker that starts now
            if await OutboxItem.filter(kind="weekly_digest").count() == COORDINATORS:
                break
            await asyncio.sleep(0.05)
        assert await OutboxItem.filter(kind="weekly_digest").count() == COORDINATORS
    finally:
        scheduler.shutdown(wait=False)


async def test_two_instances_on_one_redis_queue_each_digest_once(world, redis_url):
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    counts = await asyncio.gather(queue_last_weeks_digests(first), queue_last_weeks_digests(second))
    assert sorted(counts) == [0, COORDINATORS]
    assert await OutboxItem.filter(kind="weekly_digest").count() == COORDINATORS
    await first.aclose()
    await second.aclose()


async def test_the_outbox_key_stops_a_second_queueing_even_without_redis(world):
    week = Week.current().previous()
    await enqueue_weekly_digests(week)
    await enqueue_weekly_digests(week)
    assert await OutboxItem.filter(kind="weekly_digest").count() == COORDINATORS
    await enqueue_weekly_digests(week.previous())
    assert await OutboxItem.filter(kind="weekly_digest").count() == 2 * COORDINATORS


async def test_a_queued_digest_arrives_as_text_and_chart_in_the_readers_language(sim, world):
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "health")
    await set_locale(world.coordinator_m1.id, "ru")
    week = Week.current()
    await enqueue_weekly_digests(week)
    sender = Sender(sim.bot, create_i18n(), wall_clock=lambda: monday_noon(week))
    assert await sender.drain() == COORDINATORS
    school = sim.user(104)
    texts = [s.text for s in school.inbox if not s.photo]
    assert texts[0].startswith("Nedēļas kopsavilkums: Ezerkalnes vidusskola\n")
    assert school.inbox[0].bold()[0] == "Nedēļas kopsavilkums: Ezerkalnes vidusskola"
    assert [s.photo for s in school.inbox][-1] is True
    municipality = sim.user(106)
    assert municipality.inbox[0].text.startswith("Недельная сводка: Ezerkalnes novads")
    photos = [c for c in sim.session.calls if isinstance(c, SendPhoto)]
    assert len(photos) == COORDINATORS
    assert await sender.drain() == 0  # nothing twice
    assert await OutboxItem.filter(kind="weekly_digest", status=outbox.SENT).count() == COORDINATORS


async def test_digests_to_different_chats_interleave_within_their_seconds(sim, world):
    week = Week.current()
    await enqueue_weekly_digests(week)
    sender = Sender(sim.bot, create_i18n(), wall_clock=lambda: monday_noon(week))
    assert await sender.drain() == COORDINATORS
    chats = [call.chat_id for call in sim.session.calls]
    assert len(chats) == 2 * COORDINATORS  # a text and a chart each
    first_chat_done = max(n for n, chat in enumerate(chats) if chat == chats[0])
    assert len(set(chats[:first_chat_done])) > 1  # others went during the first chat's second


async def test_a_chart_refused_with_429_is_sent_again_without_the_text_before_it(sim, world):
    week = Week.current()
    await enqueue_weekly_digests(week)
    refused: list[int] = []

    def refuse_one_chart(method):
        if isinstance(method, SendPhoto) and not refused:
            refused.append(int(method.chat_id))
            return TelegramRetryAfter(method, "Too Many Requests: retry after 3", 3)
        return None

    sim.session.fail = refuse_one_chart
    noon = monday_noon(week)
    virtual = VirtualTime()
    pacer = Pacer(clock=virtual.clock, sleep=virtual.sleep)
    assert await Sender(sim.bot, create_i18n(), pacer, lambda: noon).drain() == COORDINATORS - 1
    assert await Sender(sim.bot, create_i18n(), pacer, lambda: noon).drain() == 0  # it waits
    later = noon + timedelta(seconds=3)
    assert await Sender(sim.bot, create_i18n(), pacer, lambda: later).drain() == 1
    [chat] = refused
    to_chat = [type(call) for call in sim.session.calls if call.chat_id == chat]
    assert to_chat == [SendMessage, SendPhoto]  # the chart again, not the text
    assert await OutboxItem.filter(kind="weekly_digest", status=outbox.SENT).count() == COORDINATORS


async def test_digest_on_request_through_the_bot(sim, world):
    coordinator = sim.user(104)
    asked = await coordinator.send("/digest")
    assert [text for text, _ in asked[-1].buttons()] == ["Šī nedēļa", "Pagājusī nedēļa"]
    before = len(sim.session.calls)
    await coordinator.press("Pagājusī nedēļa")
    calls = sim.session.calls[before:]
    texts = [c.text for c in calls if isinstance(c, SendMessage)]
    assert texts[0].startswith("<b>Nedēļas kopsavilkums: Ezerkalnes vidusskola</b>\n")
    assert any(isinstance(c, SendPhoto) for c in calls)
    teacher = await sim.user(101).send("/digest")
    assert "/help" in teacher[-1].text  # not for a teacher


def cannot_draw(monkeypatch) -> None:
    """From now on every chart drawn fails, as a worker pool would that cannot start."""

    async def broken(history, locale):
        raise AssertionError("a chart was drawn while sending")

    monkeypatch.setattr(chart, "draw_png", broken)


async def test_charts_are_drawn_when_queued_so_the_sender_only_sends(sim, world, monkeypatch):
    await set_locale(world.coordinator_m1.id, "ru")
    week = Week.current()
    await enqueue_weekly_digests(week)
    kept = set(await DigestChart.all().values_list("png", flat=True))
    assert len(kept) >= 2  # one a picture of figures in Latvian, one in Russian at least
    cannot_draw(monkeypatch)
    sender = Sender(sim.bot, create_i18n(), wall_clock=lambda: monday_noon(week))
    assert await sender.drain() == COORDINATORS
    photos = [c.photo.data for c in sim.session.calls if isinstance(c, SendPhoto)]
    assert set(photos) == kept


async def test_a_chart_whose_figures_changed_since_it_was_drawn_is_drawn_anew(
    sim, world, monkeypatch
):
    week = Week.current()
    await enqueue_weekly_digests(week)
    kept = set(await DigestChart.all().values_list("png", flat=True))
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "health")  # school A
    drawing = chart.draw_png
    drawn: list[str] = []

    async def draw(history, locale):
        drawn.append(locale)
        return await drawing(history, locale)

    monkeypatch.setattr(chart, "draw_png", draw)
    sender = Sender(sim.bot, create_i18n(), wall_clock=lambda: monday_noon(week))
    assert await sender.drain() == COORDINATORS
    photos = {int(c.chat_id): c.photo.data for c in sim.session.calls if isinstance(c, SendPhoto)}
    assert drawn  # school A's chart and its municipality's show the new signal
    assert photos[104] not in kept and photos[106] not in kept
    assert photos[105] in kept and photos[107] in kept  # the others' figures are as they were


async def test_the_weekly_job_reads_every_chart_in_a_fixed_number_of_queries(world):
    week = Week.current().previous()
    coordinators = await Membership.filter(
        role__in=("school_coordinator", "municipality_coordinator")
    ).select_related("person")
    assert len(coordinators) == COORDINATORS
    with count_queries() as first:
        drawn = await draw_charts_ahead(coordinators, week)
    # Forgetting old charts, the schools, two for the histories, the kept keys; one a chart kept.
    assert 1 <= drawn <= COORDINATORS  # equal figures in one language: one chart
    assert first.queries == 5 + drawn
    assert await DigestChart.all().count() == drawn
    with count_queries() as again:
        assert await draw_charts_ahead(coordinators, week) == 0
    assert again.queries == 5


async def test_the_sender_reads_a_batch_of_digests_together(sim, world, monkeypatch):
    week = Week.current()
    await enqueue_weekly_digests(week)
    reads: list[str] = []

    def counting(read):
        def counted(*args):
            reads.append(read.__name__)
            return read(*args)

        return counted

    for read in (digest.read_week_data, digest.read_history_data):
        monkeypatch.setattr(digest, read.__name__, counting(read))
    sender = Sender(sim.bot, create_i18n(), wall_clock=lambda: monday_noon(week))
    assert await sender.drain() == COORDINATORS
    assert sorted(reads) == ["read_history_data", "read_week_data"]  # once for the 4 digests


async def test_digests_not_read_ahead_still_go(sim, world, monkeypatch):
    week = Week.current()
    await enqueue_weekly_digests(week)

    async def broken(*args):
        raise ConnectionError("the batch's read failed")

    monkeypatch.setattr(digests, "read_ahead", broken)
    sender = Sender(sim.bot, create_i18n(), wall_clock=lambda: monday_noon(week))
    assert await sender.drain() == COORDINATORS  # each digest read by itself, as without
