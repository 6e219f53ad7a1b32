"""Random and malformed updates through the real dispatcher, with the world changing under the
people who send them (a student erased, a role ended, a plan moved on by someone else): no crash,
every private message answered, every tap answered once, nothing shown in a chat that is not the
sender's own."""

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Location,
    Message,
    PhotoSize,
    Sticker,
    Update,
    Voice,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import handlers
from bot.i18n import create_i18n
from bot.sender import send_due
from bot.session import Sent
from bot.simulator import FakeUser, Simulator
from core.access import load_actor
from core.catalogues import SUPPORT_TYPES
from core.clock import RIGA, Semester, today
from core.errors import DomainError
from core.i18n import LOCALES, gettext
from core.person_changes import person_changed
from core.services import iaps, needs, organisations, people, privacy, rosters, signals
from storage.models import Iap, Membership, Ngo, Person, RiskSignal, School, Student, SupportNeed
from tests.bot.conftest import make_simulator
from tests.world import submitted_plan

TEACHER, COORDINATOR, MUNICIPALITY, PARENT, VOLUNTEER = 101, 104, 106, 108, 109  # tests/world.py
STRANGER = 7777
PEOPLE = [TEACHER, COORDINATOR, MUNICIPALITY, PARENT, VOLUNTEER, STRANGER]
OWN, OTHER_PRIVATE, GROUP, SUPERGROUP, CHANNEL = "own", "other", "group", "supergroup", "channel"
CHATS = {
    OTHER_PRIVATE: Chat(id=4242, type="private"),
    GROUP: Chat(id=-5, type="group", title="Skolotāji"),
    SUPERGROUP: Chat(id=-1005, type="supergroup", title="7.a vecāki"),
    CHANNEL: Chat(id=-1006, type="channel", title="Ziņas"),
}
NOTICES = {gettext("Please write to me in a private chat.", locale) for locale in LOCALES}


def _callback_classes(cls: type[CallbackData] = CallbackData) -> list[type[CallbackData]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_callback_classes(sub)]
    return found


def _commands() -> list[str]:
    """Every command a handler of the bot answers to."""
    names: set[str] = set()
    for router in handlers.root_router().chain_tail:
        for handler in router.message.handlers:
            for check in handler.filters or []:
                if isinstance(check.callback, Command):
                    names |= {c for c in check.callback.commands if isinstance(c, str)}
    return sorted(names)


CALLBACKS = _callback_classes()
COMMANDS = _commands()

# Text as people type it, plus what breaks parsers: control characters (a NUL included) too.
# Surrogates are never in Telegram's UTF-8.
typed_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
text = st.one_of(
    typed_text,
    st.sampled_from(["1", "0", "-3", "12", "13", "99999999999999999999", "01.09", "31.02"]),
    st.sampled_from(["Anna", "kalnina", "7.a", "Jā", "Nē", "✓", "%", "_", "' OR 1=1 --"]),
    st.integers(-(10**20), 10**20).map(str),
    typed_text.map(lambda t: (t * 5000)[:4096]),
)
field_value = st.one_of(
    st.integers(1, 12).map(str),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["", "0", "1", "True", "false", "none", "yes", "risk", "card", "menu"]),
    st.text(max_size=12),
)


@st.composite
def callback_data(draw) -> str | None:
    """Forged, truncated or random data; at most 64 bytes, as Telegram allows."""
    kind = draw(st.sampled_from(["fields", "truncated", "random", "none"]))
    if kind == "none":
        return None
    if kind == "random":
        data = draw(st.text(min_size=1, max_size=64))
    else:
        cls = draw(st.sampled_from(CALLBACKS))
        count = len(cls.model_fields)
        fields = draw(st.lists(field_value, min_size=0, max_size=count + 1))
        if draw(st.booleans()):
            fields = (fields + ["1"] * count)[:count]  # the right number of fields
        data = ":".join([cls.__prefix__, *fields])
        if kind == "truncated":
            data = data[: draw(st.integers(0, len(data)))]
    return data.encode()[:64].decode(errors="ignore") or None


@dataclass(frozen=True)
class Event:
    """One thing a person does; turned into an Update when it happens (a tap needs the inbox)."""

    kind: str
    who: int
    chat: str
    text: str | None = None
    pick: int = 0


chat_kind = st.sampled_from([OTHER_PRIVATE, GROUP, SUPERGROUP, CHANNEL])
any_chat = st.sampled_from([OWN] * 3 + [OTHER_PRIVATE, GROUP, SUPERGROUP, CHANNEL])
command = st.tuples(
    st.sampled_from(COMMANDS),
    st.sampled_from([""] * 4 + ["@pumpurs_bot", "@other_bot"]),
    st.one_of(st.just(""), st.just(""), typed_text.map(lambda t: " " + t)),
).map(lambda parts: f"/{parts[0]}{parts[1]}{parts[2]}")


def events_of(who: int) -> st.SearchStrategy[Event]:
    """What a person does: mostly taps and commands in their own chat (so flows go deep), then
    anything, anywhere."""
    me = st.just(who)
    kinds = {
        "tap": st.builds(Event, st.just("tap"), me, st.just(OWN), st.none(), st.integers(0, 50)),
        "command": st.builds(Event, st.just("text"), me, st.just(OWN), command),
        "text": st.builds(Event, st.just("text"), me, st.just(OWN), text),
        "data": st.builds(Event, st.just("data"), me, st.just(OWN), callback_data()),
        "media": st.builds(Event, st.just("media"), me, any_chat, st.sampled_from(list(MEDIA))),
        "elsewhere": st.builds(Event, st.just("text"), me, chat_kind, st.one_of(command, text)),
        "tap elsewhere": st.builds(Event, st.just("tap"), me, chat_kind, st.none(), st.just(0)),
        "data elsewhere": st.builds(Event, st.just("data"), me, chat_kind, callback_data()),
        "inline": st.builds(Event, st.just("inline"), me, st.just(OWN), callback_data()),
        "edit": st.builds(Event, st.just("edit"), me, any_chat, text),
        "anonymous": st.builds(Event, st.just("anonymous"), me, any_chat, text),
        "added": st.builds(Event, st.just("added"), me, any_chat),
    }
    weights = {"tap": 8, "command": 4, "text": 3, "data": 2}
    choices = [kind for kind in kinds for _ in range(weights.get(kind, 1))]
    return st.sampled_from(choices).flatmap(kinds.__getitem__)


OTHER_PARENT = 8108  # a second parent of Anna (student_a1), who answers too


async def _plan_moves(world, pick: int) -> None:
    """Someone else moves a plan on: opens, submits, approves, returns, starts, pauses it."""
    student = [world.student_a1, world.student_a3][pick % 2]
    iap = await Iap.filter(student_id=student.id).order_by("-id").first()
    step = pick // 2 % 6
    if iap is None or step == 0:
        await submitted_plan(student, world.psychologist_a)
    elif step == 1:
        approver = [world.coordinator_a, world.coordinator_m1][pick % 3 % 2]
        await iaps.approve_iap(await load_actor(approver.id), iap.id)
    elif step == 2:
        await iaps.return_iap(await load_actor(world.coordinator_a.id), iap.id, "Jāpapildina")
    else:
        to = ["in_progress", "paused", "withdrawn"][step - 3]
        coordinator = await load_actor(world.coordinator_a.id)
        await iaps.move_iap(coordinator, iap.id, to, "Slimo" if to == "paused" else None)


async def _roles_change(world, pick: int) -> None:
    """A person leaves their role, or is moved to another school (or municipality)."""
    actor = [
        world.teacher_a,
        world.coordinator_a,
        world.coordinator_m1,
        world.parent_a1,
        world.volunteer,
    ][pick % 5]
    if pick // 5 % 2:
        await Membership.filter(person_id=actor.id).delete()
    else:
        await Membership.filter(person_id=actor.id, school_id__not_isnull=True).update(
            school_id=world.school_b.id
        )
        await Membership.filter(person_id=actor.id, municipality_id__not_isnull=True).update(
            municipality_id=world.m2.id
        )
        await Membership.filter(person_id=actor.id, student_id__not_isnull=True).update(
            student_id=world.student_a2.id
        )
        other, _ = await Ngo.get_or_create(name="Cits klubs", municipality_id=world.m2.id)
        await Membership.filter(person_id=actor.id, ngo_id__not_isnull=True).update(ngo_id=other.id)
    await person_changed(actor.id)


async def _answered(world, pick: int) -> None:
    """The other parent answers an open question about Anna."""
    other = await people.person_for_telegram(OTHER_PARENT)
    need = await SupportNeed.filter(student_id=world.student_a1.id, status="asked").first()
    if other is not None and need is not None:
        months = Semester.current().months()[: 1 + pick % 3]
        await needs.answer_need(
            other, need.id, confirmed=pick % 2 == 0, months=months, details="No mājām līdz skolai"
        )


async def _consent_asked(world, pick: int) -> None:
    iap = await Iap.filter(student_id=world.student_a1.id).order_by("-id").first()
    if iap is not None:
        await needs.ask_parent_for_consent(world.psychologist_a, iap.id)


async def _undone(world, pick: int) -> None:
    """The reporter takes their newest signal back (from the API, say)."""
    signal = await RiskSignal.all().order_by("-id").first()
    if signal is not None and signal.reporter_id is not None:
        await signals.undo_risk_signal(await load_actor(signal.reporter_id), signal.id)


async def _delivered(sim: Simulator) -> None:
    """The outbox's sender runs: questions, requests and news reach people's chats."""
    noon = datetime.combine(today() + timedelta(days=1), time(12), tzinfo=RIGA)
    await send_due(sim.bot, create_i18n(), now=noon)


VOCATIONAL, GENERAL = (
    {"kind": "vocational", "state_vocational": True},
    {"kind": "general", "state_vocational": False},
)
STUDENTS = ["student_a1", "student_a2", "student_a3"]
WORLD_CHANGES = {  # what others do meanwhile, through the core services
    "erase": lambda world, pick: privacy.erase_student(getattr(world, STUDENTS[pick % 3]).id),
    "move": lambda world, pick: rosters.move_student(
        None, getattr(world, STUDENTS[pick % 3]).id, world.school_b.id, class_name="7.a"
    ),
    "ask": lambda world, pick: needs.ask_parent_about_need(
        world.psychologist_a, world.student_a1.id, SUPPORT_TYPES.codes()[pick % 5]
    ),
    "consent": _consent_asked,
    "locale": lambda world, pick: people.set_locale(
        [
            world.teacher_a,
            world.coordinator_a,
            world.coordinator_m1,
            world.parent_a1,
            world.volunteer,
        ][pick % 5].id,
        LOCALES[pick // 5 % 4],
    ),
    "ngo": lambda world, pick: organisations.edit_ngo(
        world.admin, world.ngo.id, municipality_id=[world.m2, world.m1][pick % 2].id
    ),
    "school": lambda world, pick: organisations.edit_school(
        world.admin, world.school_a.id, **[VOCATIONAL, GENERAL][pick % 2]
    ),
    "plan": _plan_moves,
    "roles": _roles_change,
    "answered": _answered,
    "undone": _undone,
}
world_change = st.builds(
    Event,
    st.just("world"),
    st.just(0),
    st.just(OWN),
    st.sampled_from(["deliver", *WORLD_CHANGES]),
    st.integers(0, 59),
)


@st.composite
def stories(draw, max_size: int = 8) -> list[Event]:
    """Mostly one person's doings, with others' in between, and the world changing under them."""
    main = draw(st.sampled_from(PEOPLE))
    someone = st.sampled_from([main] * 10 + PEOPLE).flatmap(events_of)
    return draw(
        st.lists(st.one_of(someone, someone, someone, world_change), min_size=1, max_size=max_size)
    )


STICKER_SIZE = {"width": 1, "height": 1, "is_animated": False, "is_video": False}
MEDIA = {
    "p": {"photo": [PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]},
    "s": {"sticker": Sticker(file_id="s", file_unique_id="s", type="regular", **STICKER_SIZE)},
    "d": {"document": Document(file_id="d", file_unique_id="d", file_name="plan.pdf")},
    "l": {"location": Location(latitude=56.95, longitude=24.1)},
    "c": {"contact": Contact(phone_number="+37120000000", first_name="Anna")},
    "v": {"voice": Voice(file_id="v", file_unique_id="v", duration=1)},
}


def a_button(user: FakeUser, pick: int) -> tuple[Sent, str] | None:
    """A button with callback data in the user's chat: mostly on the newest message that has
    one, sometimes on an older one (a stale tap)."""
    messages = [
        (sent, [b.callback_data for row in sent.keyboard.inline_keyboard for b in row])
        for sent in reversed(user.inbox)
        if sent.keyboard is not None
    ]
    messages = [(sent, [data for data in row if data]) for sent, row in messages]
    messages = [(sent, row) for sent, row in messages if row]
    if not messages:
        return None
    sent, row = messages[0] if pick < 40 else messages[pick % len(messages)]
    return sent, row[pick % len(row)]


def an_old_message(user: FakeUser) -> Sent:
    return Sent(chat_id=user.id, message_id=1, text="…", keyboard=None)


MESSAGE, CALLBACK, OTHER = "message", "callback", "other"


async def happen(sim: Simulator, event: Event, world=None) -> str:
    """Send the event's update; what it was: a message, a callback query, or other."""
    if event.kind == "world":
        if event.text == "deliver":
            await _delivered(sim)
        else:
            with suppress(DomainError):  # refused, as the service would refuse its caller
                await WORLD_CHANGES[event.text](world, event.pick)
        return OTHER
    user = sim.user(event.who, language="lv")
    chat = CHATS.get(event.chat)
    if event.kind == "tap":
        button = a_button(user, event.pick)
        if button is None:  # nothing to tap: open the menu
            await user.send("/menu", chat=chat)
            return MESSAGE
        await user.press_data(button[1], button[0], chat=chat)
        return CALLBACK
    if event.kind in ("data", "inline"):
        on = user.last if user.inbox else an_old_message(user)
        await press(user, event.text, on, chat=chat, inline=event.kind == "inline")
        return CALLBACK
    if event.kind == "text":
        await user.send(event.text, chat=chat)
        return MESSAGE
    if event.kind == "media":
        await user.send_content(chat, **MEDIA[event.text])
        return MESSAGE
    if event.kind == "edit":
        await user.edit(event.text, chat=chat)
    elif event.kind == "anonymous":
        await sim.feed(anonymous(sim, chat or Chat(id=-1007, type="supergroup"), event.text))
    else:
        await user.add_bot_to(chat or user.private_chat)
    return OTHER


async def press(user: FakeUser, data: str | None, on: Sent, *, chat, inline: bool) -> None:
    """A callback query, its data possibly missing (as for a game's button)."""
    if data is not None:
        await user.press_data(data, on, chat=chat, inline=inline)
        return
    update_id = user.simulator.next_update_id()
    callback = CallbackQuery(
        id=f"{user.id}:{update_id}",
        from_user=user.user,
        chat_instance="x",
        message=on.as_message().model_copy(update={"chat": chat or user.private_chat}),
    )
    await user.simulator.feed(Update(update_id=update_id, callback_query=callback))


def anonymous(sim: Simulator, chat: Chat, text: str) -> Update:
    """A message with no sender: a channel's post, or a group writing as itself."""
    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=chat,
        sender_chat=chat if chat.type != "private" else None,
        text=text,
    )
    if chat.type == "channel":
        return Update(update_id=sim.next_update_id(), channel_post=message)
    return Update(update_id=sim.next_update_id(), message=message)


def sent_to(calls: list[TelegramMethod], chat_id: int) -> list[SendMessage | SendPhoto]:
    return [c for c in calls if isinstance(c, SendMessage | SendPhoto) and c.chat_id == chat_id]


def check(event: Event, was: str, calls: list[TelegramMethod]) -> None:
    """What the user sees after one event."""
    if event.kind == "world":
        return  # messages from the outbox go to whoever they are for
    if event.chat == OWN and was == MESSAGE:
        assert sent_to(calls, event.who), "no answer"
    if event.chat == OWN and was == CALLBACK:
        answers = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
        assert len(answers) == 1, f"{len(answers)} answers to the tap"
    for call in calls:
        if isinstance(call, SendMessage | SendPhoto) and call.chat_id != event.who:
            assert event.chat in (GROUP, SUPERGROUP), f"sent elsewhere: {call}"
            assert isinstance(call, SendMessage) and call.text in NOTICES, f"in a group: {call}"
            assert call.reply_markup is None


class Failures(logging.Handler):
    """Catches the error handler's "update %s failed" (an exception nothing expected)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def lived_in(world):
    """The world with something to see: a signal, a draft plan, an open question to a parent."""
    await signals.record_risk_signal(world.teacher_a, world.student_a1.id, "behaviour")
    await iaps.open_iap(world.teacher_a, world.student_a3.id, Semester.current())
    await needs.ask_parent_about_need(world.teacher_a, world.student_a1.id, "meals")
    other = await Person.create(display_name="Other Parent A1", telegram_id=OTHER_PARENT)
    await Membership.create(person=other, role="parent", student=world.student_a1)
    world.kept = [await model.all().values() for model in KEPT]
    return world


KEPT = (Person, Membership, Student, Ngo, School)  # what world changes change


async def restore(world) -> None:
    """People, roles, students and organisations as the fixture made them, before each story."""
    await Membership.all().delete()
    for model, rows in zip(KEPT, world.kept, strict=True):
        for row in rows:
            if model is Membership:
                await Membership.create(**row)
            else:
                fields = {name: value for name, value in row.items() if name != "id"}
                await model.filter(id=row["id"]).update(**fields)


@settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(story=stories())
@example(story=[Event("text", COORDINATOR, SUPERGROUP, "/students")])  # once shown to a group
@example(story=[Event("data", COORDINATOR, OWN, "dg:1:1:1")])  # refused after the spinner
async def test_random_updates_never_crash_leak_or_go_unanswered(db, redis, lived_in, story):
    """The examples share the database (a world that keeps changing); each has a fresh bot."""
    await restore(lived_in)
    if redis is not None:
        await redis.flushdb()  # update ids start again with each bot
    sim = await make_simulator(redis, flood_limit=10**6)
    failures = Failures()
    logging.getLogger("handlers.fallback").addHandler(failures)
    try:
        for step, event in enumerate(story):
            before = len(sim.session.calls)
            was = await happen(sim, event, lived_in)
            calls = sim.session.calls[before:]
            try:
                check(event, was, calls)
                assert not failures.records, failures.records[0].getMessage()
            except AssertionError as error:
                raise AssertionError(f"{error}\nat step {step} of {story}\n{calls}") from None
    finally:
        logging.getLogger("handlers.fallback").removeHandler(failures)
