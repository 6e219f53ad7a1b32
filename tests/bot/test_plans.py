"""The support plan in the bot: opened from the card or /plan, planned step by step, submitted."""

from datetime import datetime, time, timedelta

import pytest
from aiogram.types import CallbackQuery, InaccessibleMessage, Update
from babel.dates import get_month_names

from bot.i18n import create_i18n
from bot.sender import send_due
from bot.session import Sent
from core.clock import RIGA, Semester, today
from core.formatting import short_date
from core.services import iaps, signals
from core.services.people import set_locale
from handlers.callbacks import PlanOpen
from handlers.plan_measures import PlHours
from handlers.plan_message import PlStart
from storage.models import Iap, IapMeasure, IapRiskGroup, OutboxItem
from tests.bot.conftest import make_simulator

SEMESTER = Semester.current()
MONTHS = SEMESTER.months()

WORDS = {
    "lv": {
        "open": "Atvērt plānu",
        "this_semester": "Šim semestrim",
        "opened": "Atvērts plāna projekts",
        "before": "Pirms plānu var iesniegt saskaņošanai:",
        "no_consent": "Nav vecāka piekrišanas",
        "no_justification": "Nav pamatojuma: Ekonomiskie riski",
        "ready": "nekā netrūkst: plānu var iesniegt saskaņošanai.",
        "justify": "Rakstīt pamatojumu",
        "justification_saved": "Saglabāts: pamatojums.",
        "risks": "Riski",
        "economic": "Ekonomiskie",
        "add_measure": "Pievienot pasākumu",
        "consultations": "Konsultācijas",
        "material": "Materiālais atbalsts",
        "psychologist": "Psihologs",
        "meals": "Ēdināšana",
        "absences": "Kavējumi",
        "material_conditions": "Materiālie apstākļi",
        "done": "Gatavs",
        "measure_saved": "Saglabāts: atbalsta pasākums.",
        "consent": "Piekrišana",
        "signed_by_parent": "Parakstīja vecāks",
        "consent_saved": "Reģistrēts: piekrišana dota.",
        "submit": "Iesniegt saskaņošanai",
        "submitted": "Iesniegts saskaņošanai.",
        "in_approval": "Statuss: Saskaņošanā",
        "psychologist_line": "• Psihologs: plānotas 4,5 h / 0 konsultāciju, 0 h",
        "meals_line": "• Ēdināšana: 2 plānoti mēneši ({months}) / 0 apstiprinātu mēnešu",
        "only_drafts": "Mainīt var tikai projektu",
        "not_yet": "Vēl ne: vispirms novērsiet plānā uzskaitīto.",
    },
    "ru": {
        "open": "Открыть план",
        "this_semester": "Этот семестр",
        "opened": "Открыт черновик плана",
        "before": "Прежде чем план можно подать на согласование:",
        "no_consent": "Нет согласия родителя",
        "no_justification": "Нет обоснования: Экономические риски",
        "ready": "всё готово: план можно подать на согласование.",
        "justify": "Обосновать",
        "justification_saved": "Сохранено: обоснование.",
        "risks": "Риски",
        "economic": "Экономические",
        "add_measure": "Добавить меру",
        "consultations": "Консультации",
        "material": "Материальная поддержка",
        "psychologist": "Психолог",
        "meals": "Питание",
        "absences": "Пропуски",
        "material_conditions": "Материальные условия",
        "done": "Готово",
        "measure_saved": "Сохранено: мера поддержки.",
        "consent": "Согласие",
        "signed_by_parent": "Подписал родитель",
        "consent_saved": "Записано: согласие получено.",
        "submit": "На согласование",
        "submitted": "Подано на согласование.",
        "in_approval": "Статус: На согласовании",
        "psychologist_line": "• Психолог: запланировано 4,5 ч / 0 консультаций, 0 ч",
        "meals_line": "• Питание: 2 месяца запланировано ({months}) / 0 месяцев подтверждено",
        "only_drafts": "Изменить можно только черновик",
        "not_yet": "Пока нет: сначала исправьте то, что перечислено в плане.",
    },
}


@pytest.fixture
async def sim(db, redis):
    """A plan takes many taps: a flood limit no test reaches."""
    return await make_simulator(redis, flood_limit=1000)


def labels(sent) -> list[str]:
    return [text for text, _ in sent.buttons()]


async def press_exact(user, label: str):
    """Tap the newest button whose text is exactly `label` (others may contain it)."""
    for sent in reversed(user.inbox):
        for text, data in sent.buttons():
            if text == label:
                return await user.press_data(data, sent)
    raise LookupError(label)


async def open_plan(user, iap_id: int):
    """Tap a link to the plan on an older message (a card, a reminder)."""
    return await user.press_data(PlanOpen(iap_id=iap_id).pack(), an_old_message(user))


def an_old_message(user) -> Sent:
    return Sent(chat_id=user.id, message_id=1, text="…", keyboard=None)


def month_label(month: int, locale: str) -> str:
    return get_month_names("wide", context="stand-alone", locale=locale)[month]


def last_plan(user) -> str:
    """The text of the newest plan message (it may follow a part or a lead)."""
    return next(s.text for s in reversed(user.inbox) if "IAP" in s.text)


async def _at_risk(world) -> None:
    a1 = world.student_a1.id
    await signals.record_risk_signal(world.teacher_a, a1, "unexcused_absences", value=3)
    await signals.record_risk_signal(world.teacher_a, a1, "material_conditions")


async def _open_from_the_card(teacher, words) -> None:
    await teacher.send("/students")
    card = (await teacher.press("Anna Kalnina"))[-1]
    assert words["open"] in labels(card)
    opened = await teacher.press(words["open"])
    if words["this_semester"] in labels(opened[-1]):  # the last weeks: two semesters to choose
        opened = await teacher.press(words["this_semester"])
    assert opened[-1].text.startswith(words["opened"])


@pytest.mark.parametrize("locale", ["lv", "ru"])
async def test_a_teacher_plans_from_the_card_and_submits(sim, world, locale):
    words = WORDS[locale]
    await set_locale(world.teacher_a.id, locale)
    await _at_risk(world)
    teacher = sim.user(101)
    await _open_from_the_card(teacher, words)
    iap = await Iap.get(student_id=world.student_a1.id)
    plan = teacher.last
    assert words["before"] in plan.text
    assert f"1. {words['no_consent']}" in plan.text
    assert words["no_justification"] in plan.text
    assert any(label.endswith(words["justify"]) for label in labels(plan))
    assert all(len(label) <= 24 for label in labels(plan))

    # The risks, confirmed with a justification per group.
    await teacher.press(words["justify"])  # the first group without one: learning
    saved = await teacher.send("Kavē pirmdienās, jo strādā tirgū")
    assert saved[-1].text.startswith(words["justification_saved"])
    await press_exact(teacher, words["risks"])
    await teacher.press(words["economic"])
    await teacher.send("Ģimenei nepietiek naudas pusdienām")
    justified = await IapRiskGroup.filter(iap_id=iap.id).order_by("group")
    assert [(g.group, g.justification) for g in justified] == [
        ("economic", "Ģimenei nepietiek naudas pusdienām"),
        ("learning", "Kavē pirmdienās, jo strādā tirgū"),
    ]

    # A consultation for the absences: offered from the blocker, hours typed.
    await teacher.press(words["add_measure"])  # the fix button of the first risk without one
    await teacher.press(words["consultations"])
    factors = (await teacher.press(words["psychologist"]))[-1]
    assert labels(factors)[0] == f"✓ {words['absences']}"  # the blocker's risk, ticked
    assert labels(factors)[1] == words["material_conditions"]
    await teacher.press(words["done"])
    saved = await teacher.send("4,5")
    assert saved[-1].text.startswith(words["measure_saved"])

    # Material support for two months of the semester, for the risk still unaddressed.
    await press_exact(teacher, words["add_measure"])
    await teacher.press(words["material"])
    factors = (await teacher.press(words["meals"]))[-1]
    assert labels(factors)[0] == words["material_conditions"]  # unaddressed first
    await teacher.press(words["material_conditions"])
    await teacher.press(words["done"])
    for month in MONTHS[:2]:
        await teacher.press(month_label(month, locale).capitalize())
    saved = await teacher.press(words["done"])
    names = ", ".join(month_label(month, locale) for month in MONTHS[:2])
    assert words["meals_line"].format(months=names) in last_plan(teacher)
    assert words["psychologist_line"] in last_plan(teacher)
    assert words["no_consent"] in last_plan(teacher)  # consent still blocks it

    refused = await press_exact(teacher, words["submit"])
    assert teacher.alerts[-1] == words["not_yet"]
    assert words["no_consent"] in refused[-1].text

    # Consent on a paper form signed by the parent, its date typed.
    await press_exact(teacher, words["consent"])
    await teacher.press(words["signed_by_parent"])
    recorded = await teacher.send(short_date(today(), "ru"))  # dd.mm.yyyy
    assert recorded[-1].text.startswith(words["consent_saved"])
    assert words["ready"] in recorded[-1].text

    submitted = await press_exact(teacher, words["submit"])
    assert submitted[-1].text.startswith(words["submitted"])
    assert words["in_approval"] in submitted[-1].text
    assert words["submit"] not in labels(submitted[-1])  # no more editing
    assert (await Iap.get(id=iap.id)).status == "in_approval"

    await press_exact(teacher, words["add_measure"])  # an old button of the draft
    assert teacher.alerts[-1].startswith(words["only_drafts"])
    assert await IapMeasure.filter(iap_id=iap.id).count() == 2


async def test_cancel_mid_step_keeps_what_was_saved_and_old_buttons_go_stale(sim, world):
    await _at_risk(world)
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    teacher = sim.user(101)
    await open_plan(teacher, iap.id)
    await teacher.press("Rakstīt pamatojumu")
    await teacher.send("Kavē pirmdienās")
    await press_exact(teacher, "Pievienot pasākumu")
    await teacher.press("Konsultācijas")
    await teacher.press("Psihologs")
    await teacher.press("Kavējumi")
    hours = (await teacher.press("Gatavs"))[-1]
    assert PlHours(hours=6).pack() in [data for _, data in hours.buttons()]

    stopped = await teacher.send("/cancel")
    assert stopped[0].text == "Pārtraukts. Nekas vairāk netika saglabāts."
    assert await IapMeasure.filter(iap_id=iap.id).count() == 0
    assert await IapRiskGroup.get(iap_id=iap.id, group="learning").values("justification") == {
        "justification": "Kavē pirmdienās"
    }
    await teacher.press_data(PlHours(hours=6).pack(), hours)  # the step is over
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert await IapMeasure.filter(iap_id=iap.id).count() == 0

    typed = await teacher.send("6")  # no step under way: nothing is saved
    assert await IapMeasure.filter(iap_id=iap.id).count() == 0
    assert "/menu" in typed[-1].text  # answered as a search for a name, outside any step


async def test_a_restart_keeps_the_step_under_way(sim, world, redis):
    if redis is None:
        pytest.skip("FSM state outlives the bot only in Redis")
    await _at_risk(world)
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    teacher = sim.user(101)
    await open_plan(teacher, iap.id)
    await teacher.press("Rakstīt pamatojumu")

    restarted = await make_simulator(redis, sim.session, flood_limit=1000)
    saved = await restarted.user(101).send("Kavē pirmdienās")
    assert saved[-1].text.startswith("Saglabāts: pamatojums.")


async def test_plan_finds_the_student_by_a_part_of_the_name(sim, world):
    teacher = sim.user(101)
    asked = await teacher.send("/plan")
    assert asked[-1].text.startswith("Kura skolēna plāns?")
    nobody = await teacher.send("Zzz")
    assert nobody[-1].text.startswith("Pēc „Zzz“ neviens skolēns netika atrasts.")
    several = (await teacher.send("a"))[-1]
    assert several.text == "Atbilst vairāki skolēni. Izvēlieties vienu:"
    assert "Janis Ozols, 7.a, Ezerkalnes vidusskola" in labels(several)
    offer = await teacher.press("Janis Ozols, 7.a, Ezerkalnes vidusskola")
    assert offer[-1].text.startswith("Skolēnam Janis Ozols nav atbalsta plāna")


async def test_a_button_under_a_message_telegram_no_longer_shows_is_stale(sim, world):
    """Telegram sends an InaccessibleMessage for a message the bot can no longer read (too old,
    or deleted): its button answers like any stale one instead of failing in a handler."""
    teacher = sim.user(101)
    offer = (await teacher.send("/plan Ozols"))[-1]
    gone = InaccessibleMessage(chat=teacher.private_chat, message_id=offer.message_id)
    update_id = sim.next_update_id()
    tap = CallbackQuery(
        id=f"101:{update_id}",
        from_user=teacher.user,
        chat_instance="101",
        data=PlStart(student_id=world.student_a2.id).pack(),
        message=gone,
    )
    await sim.feed(Update(update_id=update_id, callback_query=tap))
    assert teacher.alerts[-1].startswith("Šī poga vairs nav aktīva")
    assert teacher.inbox[-1] == offer  # nothing opened, nothing sent
    assert await Iap.filter(student_id=world.student_a2.id).count() == 0


async def test_a_student_without_signals_gets_risks_named_with_buttons(sim, world):
    teacher = sim.user(101)
    offer = (await teacher.send("/plan Ozols"))[-1]
    assert offer.text.startswith("Skolēnam Janis Ozols nav atbalsta plāna")
    assert offer.buttons() == [("Atvērt plānu", PlStart(student_id=world.student_a2.id).pack())]
    opened = await teacher.press("Atvērt plānu")
    if "Šim semestrim" in labels(opened[-1]):
        opened = await teacher.press("Šim semestrim")
    assert "2. Nav norādīts neviens risks" in opened[-1].text
    groups = await teacher.press("Norādīt risku")
    assert labels(groups[-1])[:4] == [
        "Mācības un skola",
        "Ekonomiskie",
        "Ģimene",
        "Vide un veselība",
    ]
    await teacher.press("Ģimene")
    ticked = (await teacher.press("Vecāki ārzemēs"))[-1]
    assert "✓ Vecāki ārzemēs" in labels(ticked)
    plan = (await teacher.press("Atpakaļ uz plānu"))[-1]
    assert "• Vecāki ārzemēs (Ar ģimeni saistītie riski): IAP sagatavotājs norādīja" in plan.text
    assert "Nav norādīts neviens risks" not in plan.text
    assert "Nav pamatojuma: Ar ģimeni saistītie riski" in plan.text


async def test_a_measure_is_changed_and_deleted(sim, world):
    await _at_risk(world)
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    meals = await iaps.add_measure(
        world.teacher_a,
        iap.id,
        kind="material",
        support_type="meals",
        months=MONTHS[:1],
        risk_factors=["material_conditions"],
    )
    teacher = sim.user(101)
    await open_plan(teacher, iap.id)
    await press_exact(teacher, "Pasākumi")
    await teacher.press("Ēdināšana")
    months = (await teacher.press("Mainīt mēnešus"))[-1]
    assert labels(months)[0] == f"✓ {month_label(MONTHS[0], 'lv').capitalize()}"
    await teacher.press(month_label(MONTHS[1], "lv").capitalize())
    await teacher.press("Gatavs")
    assert (await IapMeasure.get(id=meals.id)).months == MONTHS[:2]

    await press_exact(teacher, "Pasākumi")
    await teacher.press("Ēdināšana")
    question = (await teacher.press("Dzēst"))[-1]
    assert question.text.startswith("Dzēst šo pasākumu no plāna?")
    deleted = await press_exact(teacher, "Dzēst")
    assert deleted[-1].text.startswith("Dzēsts: atbalsta pasākums.")
    assert not await IapMeasure.exists(id=meals.id)
    await teacher.press_data(question.buttons()[0][1], question)  # deleting it again
    assert teacher.alerts[-1] == "Šī pasākuma plānā vairs nav."


async def test_the_parent_is_asked_from_the_plan_and_consents_in_the_bot(sim, world):
    await _at_risk(world)
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    teacher, parent = sim.user(101), sim.user(108)
    await open_plan(teacher, iap.id)
    await press_exact(teacher, "Piekrišana")
    asked = (await teacher.press("Jautāt vecākam"))[-1]
    assert asked.text.startswith("Vecākiem nosūtīts lūgums dot piekrišanu plānam.")
    assert await OutboxItem.exists(kind="consent_request", recipient_id=world.parent_a1.id)
    noon = datetime.combine(today() + timedelta(days=1), time(12), tzinfo=RIGA)
    assert await send_due(sim.bot, create_i18n(), now=noon) == 1
    await parent.press("Piekrist")
    plan = (await open_plan(teacher, iap.id))[-1]
    assert "Piekrišana sniegta" in plan.text
    assert "Nav vecāka piekrišanas" not in plan.text


async def test_who_may_edit_and_who_only_reads(sim, world):
    await _at_risk(world)
    iap = await iaps.open_iap(world.teacher_a, world.student_a1.id, SEMESTER)
    coordinator = sim.user(106)  # the municipality: reads and approves, does not edit
    read = (await open_plan(coordinator, iap.id))[-1]
    assert read.text.startswith("Atbalsta plāns (IAP): Anna Kalnina")
    assert "Pievienot pasākumu" not in labels(read)
    assert "Pirms plānu var iesniegt saskaņošanai:" not in read.text
    await coordinator.press_data(f"pl_nm:{iap.id}:", an_old_message(coordinator))
    assert (
        coordinator.alerts[-1] == "Plānu var mainīt tikai IAP sagatavotājs vai skolas darbinieki."
    )

    other_school = sim.user(103)
    await open_plan(other_school, iap.id)
    assert other_school.alerts[-1] == "Nav atrasts."
    await other_school.press_data(f"pl_s:{iap.id}:submit", an_old_message(other_school))
    assert other_school.alerts[-1] == "Nav atrasts."
    assert (await Iap.get(id=iap.id)).status == "draft"

    psychologist = sim.user(102)  # staff of the school edits a colleague's draft
    shown = (await open_plan(psychologist, iap.id))[-1]
    assert "Pievienot pasākumu" in labels(shown)


BUTTONS = [
    ("{n}. Consent", 12),
    ("{n}. Name a risk", 12),
    ("{n}. Write justification", 12),
    ("{n}. Plan the amount", 12),
    ("{n}. Add a measure", 12),
    ("Risks", None),
    ("Add a measure", None),
    ("Measures", None),
    ("Consent", None),
    ("Submit for approval", None),
    ("Back to the plan", None),
    ("This semester", None),
    ("Next semester", None),
    ("Open a plan", None),
    ("Plan", None),
    ("Name a risk", None),
    ("Change hours", None),
    ("Change months", None),
    ("Change risks", None),
    ("Delete", None),
    ("Consultations", None),
    ("Material support", None),
    ("Ask the parent", None),
    ("Signed by the parent", None),
    ("Signed by student (18+)", None),
    ("Refused by the parent", None),
    ("Refused by student (18+)", None),
]


@pytest.mark.parametrize("locale", ["lv", "ru", "uk", "en"])
def test_the_plans_buttons_are_short_in_every_language(locale):
    i18n = create_i18n()
    for msgid, n in BUTTONS:
        text = i18n.gettext(msgid, locale=locale)
        if n is not None:
            text = text.format(n=n)
        assert len(text) <= 24, (locale, text)
