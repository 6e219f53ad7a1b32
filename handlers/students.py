"""My students: those at risk this semester, page by page, and each one's card."""

from decimal import Decimal
from itertools import groupby

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n, get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.access import Actor
from core.catalogues import (
    CONSENT_STATES,
    IAP_STATUSES,
    NEED_STATUSES,
    RISK_FACTORS,
    RISK_LEVELS,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
)
from core.clock import Semester
from core.formatting import number, semester_text
from core.iap import AssembledIap, MeasureLine, assemble_for_student
from core.iap_view import consent_lines
from core.ids import Id
from core.services.needs import ask_parent_for_consent
from core.services.overview import StudentAtRisk, students_at_risk
from handlers.callbacks import Menu, PlanOpen, StudentAction
from handlers.filters import IsStaff
from handlers.markup import bold_name, html
from handlers.next_taps import menu, next_taps, to_plan
from handlers.plan_message import PlStart
from handlers.replies import answer_long, edit_or_keep, tapped

PAGE_SIZE = 8


class StPage(CallbackData, prefix="st_p"):
    """A page of the list (0-based)."""

    page: int


class StOpen(CallbackData, prefix="st_o"):
    """A student's card, opened from a page of the list."""

    student_id: Id
    page: int


class StConsent(CallbackData, prefix="st_c"):
    """Ask the parents to consent to this draft plan."""

    iap_id: Id


def signals_text(count: int) -> str:
    return ngettext("{n} signal", "{n} signals", count).format(n=count)


# The list.


def student_label(student: StudentAtRisk) -> str:
    status = _(IAP_STATUSES[student.iap_status].label) if student.iap_status else _("no plan")
    name = f"{student.first_name} {student.last_name}, {student.class_name}"
    return f"{name}: {signals_text(student.signals)}, {status}"


def list_text(
    students: list[StudentAtRisk], shown: list[StudentAtRisk], page: int, pages: int
) -> str:
    lines = [
        ngettext(
            "{n} student at risk this semester ({semester}).",
            "{n} students at risk this semester ({semester}).",
            len(students),
        ).format(
            n=len(students), semester=semester_text(Semester.current(), get_i18n().current_locale)
        )
    ]
    if pages > 1:
        lines.append(_("Page {page} of {pages}.").format(page=page + 1, pages=pages))
    if len({s.school_id for s in students}) > 1:
        for school, group in groupby(shown, key=lambda s: s.school_name):
            names = ", ".join(f"{s.first_name} {s.last_name}" for s in group)
            lines.append(f"{school}: {names}")
    lines.append(_("Tap a student to open their card."))
    return "\n".join(lines)


def list_keyboard(shown: list[StudentAtRisk], page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for student in shown:
        builder.button(
            text=student_label(student),
            callback_data=StOpen(student_id=student.student_id, page=page),
        )
    builder.adjust(1)
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text=_("Previous page"), callback_data=StPage(page=page - 1).pack()
            )
        )
    if page < pages - 1:
        paging.append(
            InlineKeyboardButton(text=_("Next page"), callback_data=StPage(page=page + 1).pack())
        )
    if paging:
        builder.row(*paging)
    return builder.as_markup()


def page_count(students: list[StudentAtRisk]) -> int:
    return max(1, -(-len(students) // PAGE_SIZE))


async def render_list(actor: Actor, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    students = await students_at_risk(actor, Semester.current())
    if not students:
        text = _("No students at risk this semester ({semester}).").format(
            semester=semester_text(Semester.current(), get_i18n().current_locale)
        )
        return text, next_taps(actor, menu())
    pages = page_count(students)
    page = min(max(page, 0), pages - 1)
    shown = students[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return list_text(students, shown, page, pages), list_keyboard(shown, page, pages)


async def students_command(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    text, markup = await render_list(actor, 0)
    await message.answer(text, reply_markup=markup)


async def students_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    text, markup = await render_list(actor, 0)
    await tapped(callback).answer(text, reply_markup=markup)
    await callback.answer()


async def page_chosen(callback: CallbackQuery, callback_data: StPage, actor: Actor) -> None:
    text, markup = await render_list(actor, callback_data.page)
    await edit_or_keep(tapped(callback), text, markup)
    await callback.answer()


# The card.


def risk_lines(plan: AssembledIap) -> list[str]:
    lines = []
    for risk in plan.risks:
        counts = signals_text(risk.signals)
        if risk.lessons_missed is not None:
            counts += ", " + ngettext(
                "{n} lesson missed", "{n} lessons missed", risk.lessons_missed
            ).format(n=risk.lessons_missed)
        factor, level = _(RISK_FACTORS[risk.factor].label), _(RISK_LEVELS[risk.level].label)
        lines.append(f"• {factor}: {level}; {counts}")
    return lines or ["  " + _("none recorded this semester")]


def measure_line(measure: MeasureLine, locale: str) -> str:
    if measure.kind == "consultation":
        subject = _(SPECIALIST_TYPES[measure.specialist_type].label)
        planned = _("{hours} h planned").format(hours=number(measure.planned, locale))
        realised = sessions_text(measure.sessions, measure.hours, locale)
    else:
        subject = _(SUPPORT_TYPES[measure.support_type].label)
        months = int(measure.planned)
        planned = ngettext("{n} month planned", "{n} months planned", months).format(n=months)
        confirmed = len(measure.months_confirmed)
        realised = ngettext("{n} month confirmed", "{n} months confirmed", confirmed).format(
            n=confirmed
        )
    return f"• {subject}: {planned} / {realised}"


def sessions_text(sessions: int, hours: Decimal, locale: str) -> str:
    """E.g. `2 sessions, 1.5 h`."""
    count = ngettext("{n} session", "{n} sessions", sessions).format(n=sessions)
    return count + _(", {hours} h").format(hours=number(hours, locale))


def status_line(plan: AssembledIap) -> str:
    if plan.status is None:
        return _("Status: no plan yet")
    return _("Status: {status}").format(status=_(IAP_STATUSES[plan.status].label))


def consent_text(plan: AssembledIap, locale: str) -> list[str]:
    """The plan's consent and its evidence; nothing without a plan."""
    if plan.status is None:
        return []
    state = _(CONSENT_STATES[plan.consent].label)
    return [state, *("  " + line for line in consent_lines(plan, locale))]


def card_text(plan: AssembledIap, locale: str) -> str:
    """The card in HTML: the name and the section headings in bold."""
    lines: list[str | Text] = [
        bold_name(plan),
        _("Class {name}, {school}").format(name=plan.class_name, school=plan.school_name),
        status_line(plan),
        *consent_text(plan, locale),
        "",
        Bold(_("Identified risks:")),
        *risk_lines(plan),
    ]
    if plan.measures:
        lines += ["", Bold(_("Measures (planned / realised):"))]
        lines += [measure_line(measure, locale) for measure in plan.measures]
    if plan.sessions:
        lines += ["", Bold(_("Consultations this semester:"))]
        for line in plan.sessions:
            specialist = _(SPECIALIST_TYPES[line.specialist_type].label)
            lines.append(f"• {specialist}: {sessions_text(line.sessions, line.hours, locale)}")
    if plan.needs:
        lines += ["", Bold(_("Support needs:"))]
        lines += [
            f"• {_(SUPPORT_TYPES[need.support_type].label)}: {_(NEED_STATUSES[need.status].label)}"
            for need in plan.needs
        ]
    return html(*lines)


def card_keyboard(plan: AssembledIap, page: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    student_id = plan.student_id
    for action, label in (
        ("risk", _("Log a signal")),
        ("consult", _("Log a consultation")),
        ("need", _("Ask the parent")),
    ):
        builder.button(
            text=label, callback_data=StudentAction(action=action, student_id=student_id)
        )
    if plan.iap_id is None:
        builder.button(text=_("Open a plan"), callback_data=PlStart(student_id=student_id))
    else:
        builder.button(text=_("Plan"), callback_data=PlanOpen(iap_id=plan.iap_id))
    if plan.iap_id is not None and plan.status == "draft" and plan.consent != "given":
        builder.button(text=_("Ask for consent"), callback_data=StConsent(iap_id=plan.iap_id))
    builder.button(text=_("Back to the list"), callback_data=StPage(page=page))
    builder.adjust(2)
    return builder.as_markup()


async def show_card(
    callback: CallbackQuery, actor: Actor, i18n: I18n, student_id: int, page: int
) -> None:
    """The card as new message(s) below, so the list stays where it was."""
    plan = await assemble_for_student(actor, student_id, Semester.current())
    text = card_text(plan, i18n.current_locale)
    await answer_long(tapped(callback), text, card_keyboard(plan, page), html=True)
    await callback.answer()


async def card_from_list(
    callback: CallbackQuery, callback_data: StOpen, actor: Actor, i18n: I18n
) -> None:
    await show_card(callback, actor, i18n, callback_data.student_id, callback_data.page)


async def card_again(
    callback: CallbackQuery, callback_data: StudentAction, actor: Actor, i18n: I18n
) -> None:
    await show_card(callback, actor, i18n, callback_data.student_id, 0)


async def consent_asked(callback: CallbackQuery, callback_data: StConsent, actor: Actor) -> None:
    """Send the parents the plan's consent request (through the outbox, after quiet hours)."""
    await ask_parent_for_consent(actor, callback_data.iap_id)
    await callback.answer()
    await tapped(callback).answer(
        _("The parents have been asked for consent to the plan."),
        reply_markup=next_taps(actor, to_plan(callback_data.iap_id), menu()),
    )


def create_router() -> Router:
    router = Router(name="students")
    router.message.register(students_command, Command("students"), IsStaff)
    router.callback_query.register(students_from_menu, Menu.filter(F.action == "students"), IsStaff)
    router.callback_query.register(page_chosen, StPage.filter(F.page >= 0), IsStaff)
    router.callback_query.register(card_from_list, StOpen.filter(F.page >= 0), IsStaff)
    router.callback_query.register(card_again, StudentAction.filter(F.action == "card"), IsStaff)
    router.callback_query.register(consent_asked, StConsent.filter(), IsStaff)
    return router
