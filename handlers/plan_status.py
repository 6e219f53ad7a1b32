"""A plan after approval: status moves (start, pause with a reason, resume, send for review),
each confirmed with one more tap; and the semester's review: each measure, the risk situation,
an overall note, then close the plan or continue it into the next semester.

`status_buttons` gives the moves a plan allows now, for whoever reads it: the flows that show
a plan (a plan's own message, /iap, a notification) put them under it.
"""

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import MEASURE_REALISED, RISK_OUTCOMES, SPECIALIST_TYPES, SUPPORT_TYPES
from core.clock import Semester
from core.errors import AccessDenied, InvalidInput
from core.formatting import long_date, number
from core.i18n import N_
from core.iap import AssembledIap, MeasureLine
from core.ids import Id
from core.services.iaps import (
    TEXT_LIMIT,
    evaluate_measure,
    move_iap,
    plan_for_review,
    plan_to_move,
    review_iap,
)
from core.services.reminders import teaching_end
from core.text import clean_text
from handlers.callbacks import PlanOpen, StudentAction
from handlers.filters import TYPED_TEXT, IsStaff
from handlers.markup import appended, html
from handlers.next_taps import Tap, card, menu, next_taps, to_plan
from handlers.pickers import buttons
from handlers.plan_message import (
    MOVES,
    PAUSE,
    START,
    Move,
    PlanMove,
    Review,
    Shown,
    plan_id,
    status_buttons,
)
from handlers.replies import buttons_due, edit_or_keep, tapped

STUDENTS_SHOWN = 10


class MoveAnswer(CallbackData, prefix="pma"):
    """Yes or no to a move asked."""

    yes: bool
    to: str
    iap_id: Id


class PauseFlow(StatesGroup):
    reason = State()
    confirm = State()


class ReviewFlow(StatesGroup):
    note = State()
    evaluation = State()


def _move(from_status: str, to: str) -> Move:
    for offered, move in MOVES.get(from_status, []):
        if offered == to:
            return move
    return START  # not offered from here: the core refuses before this is shown


def _name(student) -> str:
    return f"{student.first_name} {student.last_name}"


def _confirmation(iap_id: int, to: str) -> InlineKeyboardMarkup:
    return buttons(
        [
            (_("Yes"), MoveAnswer(yes=True, to=to, iap_id=iap_id)),
            (_("No"), MoveAnswer(yes=False, to=to, iap_id=iap_id)),
        ],
        2,
    )


async def move_asked(
    callback: CallbackQuery, callback_data: PlanMove, state: FSMContext, actor: Actor
) -> None:
    """A move tapped: refused at once if the plan does not allow it; else asked to confirm."""
    iap, student = await plan_to_move(actor, callback_data.iap_id, callback_data.to)
    await callback.answer()
    if callback_data.to == "paused":
        await state.clear()
        await state.set_state(PauseFlow.reason)
        await state.update_data(iap_id=iap.id)
        await tapped(callback).answer(
            _("{name}: why is the plan paused? Write the reason.").format(name=_name(student))
        )
        return
    question = _(_move(iap.status, callback_data.to).question).format(name=_name(student))
    await tapped(callback).answer(question, reply_markup=_confirmation(iap.id, callback_data.to))


async def pause_reason_given(message: Message, state: FSMContext, actor: Actor) -> None:
    reason = clean_text(message.text or "")
    if len(reason) > TEXT_LIMIT:
        raise InvalidInput(N_("The text is too long: at most {max} characters."), max=TEXT_LIMIT)
    iap_id = (await state.get_data())["iap_id"]
    iap, student = await plan_to_move(actor, iap_id, "paused")
    await state.set_state(PauseFlow.confirm)
    await state.update_data(reason=reason)
    question = _(PAUSE.question).format(name=_name(student), reason=reason)
    await message.answer(question, reply_markup=_confirmation(iap.id, "paused"))


async def pause_reason_missing(message: Message) -> None:
    await message.answer(_("Please write the reason as a text message, or stop with /cancel."))


async def move_answered(
    callback: CallbackQuery, callback_data: MoveAnswer, state: FSMContext, actor: Actor
) -> None:
    question = tapped(callback).text or ""
    reason = None
    if callback_data.to == "paused":
        data = await state.get_data()
        if data.get("iap_id") != callback_data.iap_id or "reason" not in data:
            await callback.answer(
                _("This button is no longer active. Start again from /menu."), show_alert=True
            )
            return
        await state.clear()
        reason = data["reason"]
    if not callback_data.yes:
        await callback.answer()
        taps = next_taps(actor, to_plan(callback_data.iap_id))
        await edit_or_keep(tapped(callback), f"{question}\n\n" + _("Nothing was changed."), taps)
        return
    before, student = await plan_to_move(actor, callback_data.iap_id, callback_data.to)
    move = _move(before.status, callback_data.to)
    iap = await move_iap(actor, callback_data.iap_id, callback_data.to, reason)
    shown = Shown(iap.id, iap.status, student.school_id, iap.preparer_id)
    await callback.answer()
    moves = [Tap(label, data) for label, data in status_buttons(shown, actor)]
    taps = next_taps(actor, *moves, to_plan(iap.id))
    await edit_or_keep(tapped(callback), f"{question}\n\n{_(move.done)}", taps)


# The review.


def measure_subject(measure: MeasureLine) -> str:
    if measure.kind == "consultation":
        return _(SPECIALIST_TYPES[measure.specialist_type].label)
    return _(SUPPORT_TYPES[measure.support_type].label)


def delivered(measure: MeasureLine, locale: str) -> str:
    """Planned and delivered, e.g. `6 h planned; 2 sessions, 1.5 h`."""
    if measure.kind == "consultation":
        planned = _("{hours} h planned").format(hours=number(measure.planned, locale))
        done = ngettext("{n} session", "{n} sessions", measure.sessions).format(
            n=measure.sessions
        ) + _(", {hours} h").format(hours=number(measure.hours, locale))
    else:
        months = int(measure.planned)
        planned = ngettext("{n} month planned", "{n} months planned", months).format(n=months)
        confirmed = len(measure.months_confirmed)
        done = ngettext("{n} month confirmed", "{n} months confirmed", confirmed).format(
            n=confirmed
        )
    return f"{planned}; {done}"


async def _ask_measure(message: Message, plan: AssembledIap, index: int, locale: str) -> None:
    measure = plan.measures[index]
    text = _("Measure {n} of {total}: {subject} ({delivered}). How was it realised?").format(
        n=index + 1,
        total=len(plan.measures),
        subject=measure_subject(measure),
        delivered=delivered(measure, locale),
    )
    items = [
        (
            _(entry.label),
            Review(step="rate", iap_id=plan_id(plan), measure_id=measure.id, code=entry.code),
        )
        for entry in MEASURE_REALISED
    ]
    await message.answer(text, reply_markup=buttons(items, 1))


async def _ask_risk(message: Message, iap_id: int) -> None:
    items = [
        (_(entry.label), Review(step="risk", iap_id=iap_id, code=entry.code))
        for entry in RISK_OUTCOMES
    ]
    await message.answer(
        _("How has the student's risk situation changed this semester?"),
        reply_markup=buttons(items, 1),
    )


async def _after_measure(message: Message, actor: Actor, iap_id: int, measure_id: int, locale):
    """The next measure to rate, or, after the last one, the risk situation."""
    plan = await plan_for_review(actor, iap_id)
    ids = [m.id for m in plan.measures]
    index = ids.index(measure_id) + 1 if measure_id in ids else len(ids)
    if index < len(ids):
        await _ask_measure(message, plan, index, locale)
    else:
        await _ask_risk(message, iap_id)


async def review_started(
    callback: CallbackQuery, callback_data: Review, state: FSMContext, actor: Actor, i18n: I18n
) -> None:
    plan = await plan_for_review(actor, callback_data.iap_id)
    await state.clear()
    await callback.answer()
    await tapped(callback).answer(
        _(
            "The review of the support plan: {name}. Rate each measure, then the risk situation."
        ).format(name=f"{plan.first_name} {plan.last_name}")
    )
    await _ask_measure(tapped(callback), plan, 0, i18n.current_locale)


async def measure_rated(
    callback: CallbackQuery, callback_data: Review, state: FSMContext, actor: Actor
) -> None:
    data = callback_data
    await evaluate_measure(actor, data.iap_id, data.measure_id, realised=data.code)
    await state.clear()
    await state.set_state(ReviewFlow.note)
    await state.update_data(iap_id=data.iap_id, measure_id=data.measure_id, realised=data.code)
    await callback.answer()
    label = _(MEASURE_REALISED[data.code].label)
    await edit_or_keep(tapped(callback), appended(tapped(callback), f"→ {label}"), html=True)
    await tapped(callback).answer(
        _("Add a note about this measure if you wish: write it. Or go on."),
        reply_markup=buttons(
            [(_("Next"), Review(step="next", iap_id=data.iap_id, measure_id=data.measure_id))]
        ),
    )


async def measure_note_given(message: Message, state: FSMContext, actor: Actor, i18n: I18n):
    data = await state.get_data()
    await evaluate_measure(
        actor, data["iap_id"], data["measure_id"], realised=data["realised"], note=message.text
    )
    await state.clear()
    await message.answer(_("The note is saved."))
    await _after_measure(message, actor, data["iap_id"], data["measure_id"], i18n.current_locale)


async def next_measure(
    callback: CallbackQuery, callback_data: Review, state: FSMContext, actor: Actor, i18n: I18n
) -> None:
    await state.clear()
    await callback.answer()
    await edit_or_keep(tapped(callback), tapped(callback).html_text, html=True)
    await _after_measure(
        tapped(callback), actor, callback_data.iap_id, callback_data.measure_id, i18n.current_locale
    )


async def risk_rated(
    callback: CallbackQuery, callback_data: Review, state: FSMContext, actor: Actor
) -> None:
    if callback_data.code not in RISK_OUTCOMES:
        raise InvalidInput(N_("Say how the risk situation changed: reduced, unchanged or worse."))
    await plan_for_review(actor, callback_data.iap_id)  # still under review, still theirs
    await state.clear()
    await state.set_state(ReviewFlow.evaluation)
    await state.update_data(iap_id=callback_data.iap_id, risk_outcome=callback_data.code)
    await callback.answer()
    label = _(RISK_OUTCOMES[callback_data.code].label)
    await edit_or_keep(tapped(callback), appended(tapped(callback), f"→ {label}"), html=True)
    await tapped(callback).answer(
        _("Write an overall evaluation of the semester, or skip it."),
        reply_markup=buttons([(_("Skip"), Review(step="skip", iap_id=callback_data.iap_id))]),
    )


def _close_or_continue(iap_id: int) -> tuple[str, InlineKeyboardMarkup]:
    return _("Continue the plan into the next semester, or close it?"), buttons(
        [
            (_("Continue"), Review(step="end", iap_id=iap_id, code="continue")),
            (_("Close"), Review(step="end", iap_id=iap_id, code="close")),
        ],
        2,
    )


async def evaluation_given(message: Message, state: FSMContext) -> None:
    evaluation = clean_text(message.text or "")
    if len(evaluation) > TEXT_LIMIT:
        raise InvalidInput(N_("The text is too long: at most {max} characters."), max=TEXT_LIMIT)
    await state.update_data(evaluation=evaluation)
    text, keyboard = _close_or_continue((await state.get_data())["iap_id"])
    await message.answer(text, reply_markup=keyboard)


async def evaluation_skipped(
    callback: CallbackQuery, callback_data: Review, state: FSMContext
) -> None:
    await state.update_data(evaluation=None)
    await callback.answer()
    await edit_or_keep(tapped(callback), tapped(callback).html_text, html=True)
    text, keyboard = _close_or_continue(callback_data.iap_id)
    await tapped(callback).answer(text, reply_markup=keyboard)


async def review_ended(
    callback: CallbackQuery, callback_data: Review, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    if data.get("iap_id") != callback_data.iap_id or "risk_outcome" not in data:
        await callback.answer(
            _("Rate the risk situation first: start the review again with «Evaluate»."),
            show_alert=True,
        )
        return
    if callback_data.code not in ("close", "continue"):
        raise AccessDenied()
    reviewed, successor = await review_iap(
        actor,
        callback_data.iap_id,
        risk_outcome=data["risk_outcome"],
        evaluation=data.get("evaluation"),
        continues=callback_data.code == "continue",
    )
    await state.clear()
    await callback.answer()
    await edit_or_keep(tapped(callback), tapped(callback).html_text, html=True)
    student = card(reviewed.student_id)
    if successor is None:
        taps = next_taps(actor, to_plan(reviewed.id), student, menu())
        await tapped(callback).answer(
            _("✓ The review is saved. The plan is closed."), reply_markup=taps
        )
        return
    opened = Tap(_("Open the plan"), PlanOpen(iap_id=successor.id))
    await tapped(callback).answer(
        _(
            "✓ The review is saved. The plan continues next semester as a new draft with the "
            "same measures. The parent's consent is needed again: the parents in the bot are "
            "asked for it."
        ),
        reply_markup=next_taps(actor, opened, student, menu()),
    )


# Reminders, rendered by the sender.


def plan_start_view(students: list, semester: Semester) -> tuple[str, InlineKeyboardMarkup]:
    """To a teacher at a semester's start: students they signalled at high risk, with no plan."""
    lines: list[str | Text] = [
        ngettext(
            "The semester has begun. {n} student you noted at high risk has no support plan yet:",
            "The semester has begun. {n} students you noted at high risk have no support plan yet:",
            len(students),
        ).format(n=len(students))
    ]
    lines += [student_item(s, s.school_class.name) for s in students[:STUDENTS_SHOWN]]
    if len(students) > STUDENTS_SHOWN:
        lines.append(_("The others are in /students."))
    lines.append(_("Open a student's card to prepare a plan."))
    items = [
        (_name(s), StudentAction(action="card", student_id=s.id)) for s in students[:STUDENTS_SHOWN]
    ]
    return html(*lines), buttons(items)


def student_item(student, class_name: str) -> Text:
    """`• Anna Kalnina, 7.a`, the name in bold."""
    return Text("• ", Bold(_name(student)), f", {class_name}")


def review_due_view(
    plans: list, semester: Semester, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """To a preparer two weeks before teaching ends: their plans in progress, to review."""
    text = ngettext(
        "The semester ends on {date}. {n} support plan of yours is still in progress: send it "
        "for review and evaluate it.",
        "The semester ends on {date}. {n} support plans of yours are still in progress: send "
        "them for review and evaluate them.",
        len(plans),
    ).format(n=len(plans), date=long_date(teaching_end(semester), locale))
    lines = [text] + [student_item(p.student, p.student.school_class.name) for p in plans]
    items = [(_name(p.student), PlanOpen(iap_id=p.id)) for p in plans[:STUDENTS_SHOWN]]
    return html(*lines), buttons(items)


def create_router() -> Router:
    router = Router(name="plan_status")
    router.message.filter(IsStaff)
    router.callback_query.filter(IsStaff)
    router.callback_query.register(move_asked, PlanMove.filter())
    router.callback_query.register(move_answered, MoveAnswer.filter())
    router.message.register(pause_reason_given, PauseFlow.reason, TYPED_TEXT)
    router.message.register(pause_reason_missing, PauseFlow.reason, ~F.text.startswith("/"))
    router.message.register(buttons_due, PauseFlow.confirm, ~F.text.startswith("/"))
    router.callback_query.register(review_started, Review.filter(F.step == "start"))
    router.callback_query.register(measure_rated, Review.filter(F.step == "rate"))
    router.callback_query.register(next_measure, Review.filter(F.step == "next"))
    router.message.register(measure_note_given, ReviewFlow.note, TYPED_TEXT)
    router.callback_query.register(risk_rated, Review.filter(F.step == "risk"))
    router.message.register(evaluation_given, ReviewFlow.evaluation, TYPED_TEXT)
    router.callback_query.register(evaluation_skipped, Review.filter(F.step == "skip"))
    router.callback_query.register(review_ended, Review.filter(F.step == "end"))
    return router
