"""Coordinators: what waits for them (/pending), reading, approving or returning a plan."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n, get_i18n, ngettext
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import APPROVAL_STEPS, SUPPORT_TYPES
from core.clock import RIGA, Semester
from core.errors import DomainError, InvalidInput
from core.formatting import semester_text, short_date
from core.iap import assemble_for_student
from core.iap_view import render_iap
from core.ids import Id
from core.services.iaps import approve_iap, return_iap
from core.services.pending import coordinated_iap, needs_awaiting_parents, waiting_plans
from core.text import clean_text
from handlers.callbacks import Menu, PlanOpen
from handlers.filters import TYPED_TEXT, IsCoordinator
from handlers.markup import appended, bold_name, filled, html
from handlers.next_taps import Tap, menu, next_taps
from handlers.pickers import buttons
from handlers.plan_message import Shown, read_keyboard, status_keyboard
from handlers.replies import answer_long, edit_or_keep, tapped

PLANS_SHOWN = 20


class ReturnFlow(StatesGroup):
    comment = State()


class PlanAction(CallbackData, prefix="crd_iap"):
    action: str  # read | approve | return
    iap_id: Id


def plan_text(plan) -> str:
    """A plan waiting for approval, in HTML: the student's name in bold, where, who prepared it."""
    student = plan.student
    lines: list[str | Text] = [
        Text(bold_name(student), f", {student.school_class.name}, {student.school.name}"),
        _("Semester: {semester}").format(
            semester=semester_text(
                Semester(plan.school_year, plan.semester), get_i18n().current_locale
            )
        ),
    ]
    if plan.preparer is not None:
        lines.append(_("Prepared by: {name}").format(name=plan.preparer.display_name))
    signed = [_(APPROVAL_STEPS[a.step].label) for a in plan.approvals if a.step in APPROVAL_STEPS]
    lines.append(_("Signed by: {steps}").format(steps=", ".join(signed)))
    return html(*lines)


def plan_buttons(iap_id: int) -> InlineKeyboardMarkup:
    items = [
        (_("Read"), PlanAction(action="read", iap_id=iap_id)),
        (_("Approve"), PlanAction(action="approve", iap_id=iap_id)),
        (_("Return"), PlanAction(action="return", iap_id=iap_id)),
    ]
    return buttons(items, 3)


def need_line(need, locale: str) -> Text:
    student = need.student
    return filled(
        _("• {name} ({class_name}, {school}): {support}, asked on {date}"),
        name=bold_name(student),
        class_name=student.school_class.name,
        school=student.school.name,
        support=_(SUPPORT_TYPES[need.support_type].label),
        date=short_date(need.created_at.astimezone(RIGA).date(), locale),
    )


async def pending(message: Message, actor: Actor, i18n: I18n) -> None:
    plans = await waiting_plans(actor)
    needs = await needs_awaiting_parents(actor)
    if not plans and not needs:
        await message.answer(
            _("Nothing is waiting for you right now."), reply_markup=next_taps(actor, menu())
        )
        return
    if plans:
        await message.answer(
            _("Support plans waiting for your approval: {count}").format(count=len(plans))
        )
        for plan in plans[:PLANS_SHOWN]:
            await message.answer(
                plan_text(plan), reply_markup=plan_buttons(plan.id), parse_mode="HTML"
            )
        if len(plans) > PLANS_SHOWN:
            await message.answer(
                _("The oldest {shown} are shown. Approve or return them to see the rest.").format(
                    shown=PLANS_SHOWN
                )
            )
    if needs:
        heading = _("Support needs still awaiting the parents: {count}").format(count=len(needs))
        lines = [need_line(need, i18n.current_locale) for need in needs]
        await answer_long(message, html(Bold(heading), *lines), html=True)


async def pending_from_menu(callback: CallbackQuery, actor: Actor, i18n: I18n) -> None:
    await callback.answer()
    await pending(tapped(callback), actor, i18n)


async def read_plan(
    callback: CallbackQuery, callback_data: PlanAction, actor: Actor, i18n: I18n
) -> None:
    iap = await coordinated_iap(actor, callback_data.iap_id)
    plan = await assemble_for_student(
        actor, iap.student_id, Semester(iap.school_year, iap.semester)
    )
    await callback.answer()
    text = render_iap(plan, i18n.current_locale)
    await answer_long(tapped(callback), text, read_keyboard(plan, actor), html=True)


async def approve(callback: CallbackQuery, callback_data: PlanAction, actor: Actor) -> None:
    iap = await approve_iap(actor, callback_data.iap_id)
    if iap.status == "approved":
        outcome = _("✓ Approved: the plan can now be put into action.")
    else:
        outcome = _("✓ Signed by you. The plan goes on to the next approver.")
    await callback.answer()
    taps = pending_taps(actor)
    await edit_or_keep(tapped(callback), appended(tapped(callback), "", outcome), taps, html=True)


def pending_taps(actor: Actor) -> InlineKeyboardMarkup | None:
    """After a plan is signed or returned: what else waits, and the menu."""
    waiting = Tap(_("Waiting for me"), Menu(action="pending"), IsCoordinator)
    return next_taps(actor, waiting, menu())


async def ask_return_comment(
    callback: CallbackQuery, callback_data: PlanAction, state: FSMContext, actor: Actor
) -> None:
    iap = await coordinated_iap(actor, callback_data.iap_id)
    if iap.status != "in_approval":
        await callback.answer(_("This plan is not waiting for approval."), show_alert=True)
        return
    await state.clear()
    await state.set_state(ReturnFlow.comment)
    await state.update_data(iap_id=iap.id)
    await callback.answer()
    question = _("What should change in the plan of {name}? Write a comment for the preparer.")
    await tapped(callback).answer(
        filled(question, name=bold_name(iap.student)).as_html(), parse_mode="HTML"
    )


async def return_comment_given(message: Message, state: FSMContext, actor: Actor) -> None:
    iap_id = (await state.get_data())["iap_id"]
    try:
        await return_iap(actor, iap_id, clean_text(message.text or ""))
    except InvalidInput:
        raise  # the comment (empty, too long): said why; the next message is the comment again
    except DomainError:
        await state.clear()  # the plan moved on meanwhile: nothing left to ask
        raise
    await state.clear()
    await message.answer(
        _("Returned to the preparer with your comment. The plan is a draft again."),
        reply_markup=pending_taps(actor),
    )


async def return_comment_missing(message: Message) -> None:
    await message.answer(_("Please write the comment as a text message, or stop with /cancel."))


def returned_view(student, comment: str | None, iap_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """Told to the preparer when an approver returns their plan to draft: a button to fix it."""
    lines: list[str | Text] = [
        filled(_("The support plan for {name} was returned to draft."), name=bold_name(student))
    ]
    if comment:
        lines.append(_("Comment: {comment}").format(comment=comment))
    lines.append(_("Correct the plan and send it for approval again."))
    return html(*lines), buttons([(_("Edit the plan"), PlanOpen(iap_id=iap_id))])


def waiting_view(plan) -> tuple[str, InlineKeyboardMarkup]:
    """Told to an approver when a plan starts waiting for their signature."""
    text = html(_("A support plan is waiting for your approval.")) + "\n\n" + plan_text(plan)
    return text, plan_buttons(plan.id)


def approved_view(iap, student, actor: Actor) -> tuple[str, InlineKeyboardMarkup | None]:
    """Told to the preparer when the last approver signs their plan: what they may do next."""
    done = _("The support plan for {name} is approved. It can now be put into action.")
    text = filled(done, name=bold_name(student)).as_html()
    shown = Shown(iap.id, iap.status, student.school_id, iap.preparer_id)
    return text, status_keyboard(shown, actor)


def waiting_long_view(count: int) -> tuple[str, InlineKeyboardMarkup]:
    """Reminds an approver of plans that have waited for them for more than five school days."""
    text = ngettext(
        "{n} support plan has been waiting for your approval for more than five school days.",
        "{n} support plans have been waiting for your approval for more than five school days.",
        count,
    ).format(n=count)
    return html(text), buttons([(_("Waiting for me"), Menu(action="pending"))])


def create_router() -> Router:
    router = Router(name="approvals")
    router.message.filter(IsCoordinator)
    router.callback_query.filter(IsCoordinator)
    router.message.register(pending, Command("pending"))
    router.callback_query.register(pending_from_menu, Menu.filter(F.action == "pending"))
    router.callback_query.register(read_plan, PlanAction.filter(F.action == "read"))
    router.callback_query.register(approve, PlanAction.filter(F.action == "approve"))
    router.callback_query.register(ask_return_comment, PlanAction.filter(F.action == "return"))
    router.message.register(return_comment_given, ReturnFlow.comment, TYPED_TEXT)
    router.message.register(return_comment_missing, ReturnFlow.comment, ~F.text.startswith("/"))
    return router
