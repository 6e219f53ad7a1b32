"""Coordinators read a student's support plan: /iap and a part of the name."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.clock import Semester
from core.iap import assemble_for_student
from core.iap_view import render_iap
from core.ids import Id
from handlers.filters import TYPED_TEXT, IsCoordinator
from handlers.plan_message import read_keyboard
from handlers.replies import answer_long, tapped
from handlers.student_search import only_match


class IapSearch(StatesGroup):
    name = State()


class FoundStudent(CallbackData, prefix="crd_find"):
    student_id: Id


async def iap_command(
    message: Message, command: CommandObject, state: FSMContext, actor: Actor, i18n: I18n
) -> None:
    await state.clear()
    if not command.args:
        await state.set_state(IapSearch.name)
        await message.answer(_("Whose plan? Type part of the student's name."))
        return
    await search(message, state, actor, i18n, command.args)


async def name_typed(message: Message, state: FSMContext, actor: Actor, i18n: I18n) -> None:
    await search(message, state, actor, i18n, message.text or "")


async def search(message: Message, state: FSMContext, actor: Actor, i18n: I18n, text: str) -> None:
    """One match: the plan; several: buttons to choose; none: say so and ask again."""
    student_id = await only_match(message, actor, text, lambda id: FoundStudent(student_id=id))
    if student_id is None:
        await state.set_state(IapSearch.name)
        return
    await state.clear()
    await show_plan(message, actor, i18n, student_id)


async def match_chosen(
    callback: CallbackQuery, callback_data: FoundStudent, actor: Actor, i18n: I18n
) -> None:
    await show_plan(tapped(callback), actor, i18n, callback_data.student_id)
    await callback.answer()


async def show_plan(message: Message, actor: Actor, i18n: I18n, student_id: int) -> None:
    plan = await assemble_for_student(actor, student_id, Semester.current())
    text = render_iap(plan, i18n.current_locale)
    await answer_long(message, text, read_keyboard(plan, actor), html=True)


async def name_missing(message: Message) -> None:
    await message.answer(_("Please type part of the student's name, or stop with /cancel."))


def create_router() -> Router:
    router = Router(name="iap_search")
    router.message.filter(IsCoordinator)
    router.callback_query.filter(IsCoordinator)
    router.message.register(iap_command, Command("iap"))
    router.message.register(name_typed, IapSearch.name, TYPED_TEXT)
    router.callback_query.register(match_chosen, IapSearch.name, FoundStudent.filter())
    router.message.register(name_missing, IapSearch.name, ~F.text.startswith("/"))
    return router
