"""Names and notes full of `<`, `&` and `>` through every card and plan, by the real dispatcher.

Every text the bot sends as Telegram HTML must parse as Telegram parses it (only its tags,
balanced; `<`, `>`, `&` outside tags only as entities), show what people typed exactly as they
typed it, and show the student's name in bold.
"""

from datetime import date, datetime, time, timedelta

import pytest
from aiogram.methods import EditMessageText, SendMessage, SendPhoto

from bot.i18n import create_i18n
from bot.sender import send_due
from bot.session import Sent
from bot.telegram_html import HtmlError, parse_html
from core.clock import RIGA, today
from core.services import activities, consultations, iaps, needs, signals
from handlers.callbacks import PlanOpen
from handlers.replies import split_text
from storage.models import Municipality, Ngo, OutboxItem, Person, School, SchoolClass, Student
from tests.bot.conftest import make_simulator
from tests.world import submitted_plan

FIRST, LAST = "Anna <b>&amp;", '"Bērziņa"</b> > x'
NAME = f"{FIRST} {LAST}"  # as the card, the plan and the messages about her must show it
OTHER = "Jānis <i>Ozols</i> & <"  # a second student, whose plan waits for approval
CLASS = "7.a <u>&</u>"
SCHOOL = "Skola <s>A</s> & >"
MUNICIPALITY = "Novads <code>1</code> &"
NGO = 'Klubs <a href="t.me">Tilts</a> &'
PREPARER = "Skolotāja <tg-spoiler>A</tg-spoiler> &"

NOTE = "Piezīme: <b>5 > 3</b> & tā &amp; tālāk"
TOPIC = "Tēma: <pre>kods</pre> & <"
JUSTIFICATION = "Pamatojums: <blockquote>x</blockquote> &"
COMMENT = "Komentārs: </b> & <b>"
MEASURE_NOTE = "Pasākums: <i>daļēji</i> &"
EVALUATION = "Izvērtējums: a < b & c > d"
PAUSE = "Pauze: <a href='x'>slimnīca</a> &"
ROUTE = "Maršruts: Rīga -> <Ogre> & atpakaļ"
TITLE = "Spēļu vakars <3 & <b>draugi</b>"
TYPED_NOTE = "Ierakstīts: <b>treknraksts</b> & &lt; >"
TYPED_TOPIC = "Ierakstīta tēma: <i>x</i> &amp; <"
TYPED = (NOTE, TOPIC, JUSTIFICATION, COMMENT, MEASURE_NOTE, EVALUATION, PAUSE, ROUTE, TITLE)


@pytest.fixture
async def sim(db, redis):
    """Many taps in one test: a flood limit it does not reach."""
    return await make_simulator(redis, flood_limit=1000)


def riga(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=RIGA)


async def deliver(sim) -> None:
    """Everything queued until now, delivered from noon tomorrow (after any quiet hours) on: a
    chat's second message waits for the next run, a minute later."""
    noon = riga(today() + timedelta(days=1), 12)
    for minutes in range(10):
        await send_due(sim.bot, create_i18n(), now=noon + timedelta(minutes=minutes))
        if not await OutboxItem.filter(status="pending").exists():
            return
    raise AssertionError("the outbox was not delivered")


async def names_full_of_markup(world) -> None:
    """The world's names, as a roster file or a typing person could have given them."""
    await Student.filter(id=world.student_a1.id).update(first_name=FIRST, last_name=LAST)
    await Student.filter(id=world.student_a2.id).update(first_name=OTHER, last_name="Liepa")
    await SchoolClass.filter(id=world.class_a7.id).update(name=CLASS)
    await School.filter(id=world.school_a.id).update(name=SCHOOL)
    await Municipality.filter(id=world.m1.id).update(name=MUNICIPALITY)
    await Ngo.filter(id=world.ngo.id).update(name=NGO)
    await Person.filter(id=world.teacher_a.id).update(display_name=PREPARER)


async def plan_full_of_markup(world) -> int:
    """Anna's plan, through every status, with staff's words everywhere a plan shows them."""
    teacher, a1 = world.teacher_a, world.student_a1.id
    await signals.record_risk_signal(teacher, a1, "behaviour", note=NOTE)
    await consultations.log_consultation(
        world.psychologist_a, a1, held_on=today(), minutes=45, mode="in_person", topic=TOPIC
    )
    iap = await iaps.open_iap(teacher, a1)
    await iaps.set_risk_justification(teacher, iap.id, "learning", JUSTIFICATION)
    measure = await iaps.add_measure(
        teacher,
        iap.id,
        kind="consultation",
        specialist_type="psychologist",
        planned_quantity=6,
        risk_factors=["behaviour"],
    )
    await iaps.record_consent(teacher, iap.id, given=True, method="paper", signed_on=today())
    await iaps.submit_for_approval(teacher, iap.id)
    await iaps.return_iap(world.coordinator_a, iap.id, COMMENT)
    await iaps.submit_for_approval(teacher, iap.id)
    await iaps.approve_iap(world.coordinator_a, iap.id)
    await iaps.approve_iap(world.coordinator_m1, iap.id)
    await iaps.move_iap(teacher, iap.id, "in_progress")
    await iaps.move_iap(teacher, iap.id, "under_review")
    await iaps.evaluate_measure(teacher, iap.id, measure.id, realised="partly", note=MEASURE_NOTE)
    await iaps.review_iap(
        teacher, iap.id, risk_outcome="worse", evaluation=EVALUATION, continues=False
    )
    await iaps.move_iap(teacher, iap.id, "in_progress")
    await iaps.move_iap(teacher, iap.id, "paused", PAUSE)
    return iap.id


async def needs_full_of_markup(world) -> None:
    """A need the parent confirmed with a route, and one still waiting for the parent."""
    asked = await needs.ask_about_need(world.teacher_a, world.student_a1.id, "transport_tickets")
    month = date.today().month
    await needs.answer_need(
        world.parent_a1, asked.need.id, confirmed=True, months=[month], details=ROUTE
    )
    await needs.ask_about_need(world.teacher_a, world.student_a1.id, "meals")


def is_telegram_html(text: str) -> bool:
    try:
        parse_html(text)
    except HtmlError:
        return False
    return True


def html_sent(sim) -> list[str]:
    """Every text and caption the bot asked Telegram to read as HTML (refused ones too)."""
    texts = []
    for call in sim.session.calls:
        if isinstance(call, SendMessage | EditMessageText) and call.parse_mode == "HTML":
            texts.append(call.text)
        elif isinstance(call, SendPhoto) and call.parse_mode == "HTML":
            texts.append(call.caption or "")
    return texts


def bold_in(sent: Sent) -> str:
    return " | ".join(sent.bold())


def test_the_checker_is_as_strict_as_telegram():
    assert parse_html('<b>a</b> <i>b</i> <a href="https://t.me">c</a> &lt;&gt;&amp;&quot;')
    for wrong in ("a < b", "a > b", "a & b", "<b>a", "a</b>", "<b><i>a</b></i>", "<p>a</p>"):
        assert not is_telegram_html(wrong), wrong
    assert not is_telegram_html("&nbsp;") and not is_telegram_html("&#60;")
    text, entities = parse_html("<b>Anna &amp; 😀</b> x")
    assert text == "Anna & 😀 x" and (entities[0].offset, entities[0].length) == (0, 9)


def test_a_line_too_long_for_one_message_is_never_cut_inside_an_entity_or_a_tag():
    for line in ("x" * 4094 + "&amp;y", "x" * 4094 + "<b>y</b>"):
        parts = split_text(line)
        assert len(parts) == 2 and "".join(parts) == line
        assert all(is_telegram_html(part) for part in parts), parts[1]


async def test_markup_in_names_and_notes_is_shown_as_typed_everywhere(sim, world):
    await names_full_of_markup(world)
    iap_id = await plan_full_of_markup(world)
    await needs_full_of_markup(world)
    await submitted_plan(world.student_a2, world.teacher_a)  # waits for the school coordinator
    await activities.register_peer_activity(
        world.volunteer,
        world.ngo.id,
        title=TITLE,
        held_on=today(),
        format="workshop",
        participants=10,
        at_risk_participants=2,
        hours="1.5",
    )
    teacher, parent = sim.user(101), sim.user(108)
    coordinator, municipality = sim.user(104), sim.user(106)

    # The student's card: the name in bold, class and school as they are.
    await teacher.send("/students")
    card = (await teacher.press(FIRST))[-1]
    assert card.text.startswith(f"{NAME}\n") and card.bold()[0] == NAME
    assert f"{CLASS} klase, {SCHOOL}" in card.text

    # The plan, as its preparer reads it: every staff word as typed, the title in bold.
    plan = (await teacher.press_data(PlanOpen(iap_id=iap_id).pack(), card))[-1]
    for words in (JUSTIFICATION, COMMENT, MEASURE_NOTE, EVALUATION, PAUSE):
        assert words in plan.text, words
    assert NAME in plan.bold()[0] and plan.text.startswith(plan.bold()[0])

    # A risk signal and a consultation typed in the bot, their notes full of markup.
    await teacher.send("/risk")
    await teacher.press(CLASS)
    await teacher.press(FIRST)
    await teacher.press("Ar ģimeni")
    await teacher.press("Ģimenes krīze")
    summary = (await teacher.send(TYPED_NOTE))[-1]
    assert TYPED_NOTE in summary.text and NAME in bold_in(summary)
    saved = (await teacher.press("Saglabāt"))[-1]
    assert TYPED_NOTE in saved.text and NAME in bold_in(saved)
    await teacher.send("/consult")
    await teacher.press(CLASS)
    await teacher.press(FIRST)
    await teacher.press("Psihologs")
    await teacher.press("Šodien")
    await teacher.press("45 min")
    await teacher.press("Klātienē")
    saved = (await teacher.send(TYPED_TOPIC))[-1]
    assert TYPED_TOPIC in saved.text and NAME in bold_in(saved)

    # What waits for coordinators, and the plan they read from there.
    waiting = await coordinator.send("/pending")
    [listed] = [sent for sent in waiting if f"{OTHER} Liepa" in sent.text]
    assert bold_in(listed) == f"{OTHER} Liepa" and PREPARER in listed.text
    open_needs = waiting[-1]
    assert f"{NAME} ({CLASS}, {SCHOOL})" in open_needs.text and NAME in bold_in(open_needs)
    read = (await coordinator.press_data(listed.buttons()[0][1], listed))[-1]
    assert f"{OTHER} Liepa" in read.bold()[0]

    # The outbox: questions, answers, approvals, returns, as their recipients get them.
    await deliver(sim)
    answered = [sent for sent in teacher.inbox if ROUTE in sent.text]
    assert answered and NAME in bold_in(answered[-1])
    returned = [sent for sent in teacher.inbox if COMMENT in sent.text and sent is not plan]
    assert returned and NAME in bold_in(returned[-1])

    # The parent: the needs with the route as typed, the open question, the plan without notes.
    shown = await parent.send("/needs")
    assert ROUTE in shown[0].text and NAME in bold_in(shown[0])
    assert any("Ēdināšana" in sent.text and NAME in bold_in(sent) for sent in shown[1:])
    parents_plan = (await parent.press("Skatīt plānu"))[-1]
    assert NAME in parents_plan.bold()[0] and SCHOOL in parents_plan.text

    # Digests with school and municipality names, the report, the volunteer's activities.
    await municipality.send("/digest")
    digest = (await municipality.press("Šī nedēļa"))[0]
    assert MUNICIPALITY in digest.bold()[0] and SCHOOL in digest.text
    report = (await coordinator.send("/report"))[0]
    assert SCHOOL in report.bold()[0]
    listing = (await sim.user(109).send("/activities"))[-1]
    assert TITLE in listing.text

    # Every text sent as HTML is Telegram HTML; what people typed never arrives as markup.
    sent_as_html = html_sent(sim)
    assert len(sent_as_html) > 15
    assert [text for text in sent_as_html if not is_telegram_html(text)] == []
    everything = [*TYPED, TYPED_NOTE, TYPED_TOPIC, NAME, CLASS, SCHOOL, NGO, PREPARER]
    for text in sent_as_html:
        assert [words for words in everything if words in text] == [], text
    visible = [sent.text for chat in sim.session.chats.values() for sent in chat]
    assert not [text for text in visible if "&amp;amp;" in text or "&gt;" in text]
