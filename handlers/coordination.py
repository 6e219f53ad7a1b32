"""Coordinators: invite people, approve or return plans, see what waits, read a student's IAP."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.access import Actor
from core.catalogues import (
    APPROVAL_STEPS,
    PARENT,
    ROLES,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
    VOLUNTEER,
)
from core.clock import RIGA, Semester
from core.errors import AccessDenied, DomainError, InvalidInput
from core.formatting import semester_text, short_date
from core.iap import assemble_for_student
from core.iap_view import render_iap
from core.ids import Id
from core.services.iaps import approve_iap, return_iap
from core.services.pending import (
    coordinated_iap,
    coordinated_schools,
    find_students,
    invitable_roles,
    municipality_ngos,
    municipality_schools,
    needs_awaiting_parents,
    waiting_plans,
)
from core.services.people import create_invite
from core.services.schools import list_classes, list_students
from core.text import clean_text
from handlers.callbacks import Menu
from handlers.filters import TYPED_TEXT, IsCoordinator
from handlers.replies import answer_long, edit_or_keep

PLANS_SHOWN = 20
MATCHES_SHOWN = 10


class InviteFlow(StatesGroup):
    role = State()
    school = State()
    specialty = State()
    school_class = State()
    student = State()
    ngo = State()


class ReturnFlow(StatesGroup):
    comment = State()


class IapSearch(StatesGroup):
    name = State()


class RoleChoice(CallbackData, prefix="crd_role"):
    role: str


class SchoolChoice(CallbackData, prefix="crd_sch"):
    school_id: Id


class SpecialtyChoice(CallbackData, prefix="crd_spc"):
    code: str


class ClassChoice(CallbackData, prefix="crd_cls"):
    class_id: Id


class StudentChoice(CallbackData, prefix="crd_stu"):
    student_id: Id


class NgoChoice(CallbackData, prefix="crd_ngo"):
    ngo_id: Id


class PlanAction(CallbackData, prefix="crd_iap"):
    action: str  # read | approve | return
    iap_id: Id


class FoundStudent(CallbackData, prefix="crd_find"):
    student_id: Id


def buttons(items: list[tuple[str, CallbackData]], width: int = 1) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, data in items:
        builder.button(text=text, callback_data=data)
    builder.adjust(width)
    return builder.as_markup()


async def mark_chosen(callback: CallbackQuery, label: str) -> None:
    """Answer the tap and keep the choice in the question, without its buttons."""
    await callback.answer()
    await edit_or_keep(callback.message, f"{callback.message.text}\n→ {label}")


def chosen(items: list, wanted: int):
    """The item with the id a button carried; a forged id outside the offered list is denied."""
    for item in items:
        if item.id == wanted:
            return item
    raise AccessDenied()


# ---- /invite -----------------------------------------------------------------------------------


async def start_invite(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    await state.set_state(InviteFlow.role)
    roles = [(_(ROLES[role].label), RoleChoice(role=role)) for role in invitable_roles(actor)]
    await message.answer(_("Whom would you like to invite?"), reply_markup=buttons(roles, 2))


async def invite_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await start_invite(callback.message, state, actor)


async def role_chosen(
    callback: CallbackQuery, callback_data: RoleChoice, state: FSMContext, actor: Actor, bot: Bot
) -> None:
    role = callback_data.role
    if role not in invitable_roles(actor):
        raise AccessDenied()
    await mark_chosen(callback, _(ROLES[role].label))
    await state.update_data(role=role)
    if role == VOLUNTEER:
        await ask_ngo(callback.message, state, actor, bot)
    else:
        await ask_school(callback.message, state, actor, bot)


async def schools_for(actor: Actor, role: str) -> list:
    if role == SCHOOL_COORDINATOR:
        return await municipality_schools(actor)
    return await coordinated_schools(actor)


async def ask_school(message: Message, state: FSMContext, actor: Actor, bot: Bot) -> None:
    role = (await state.get_data())["role"]
    schools = await schools_for(actor, role)
    if len(schools) == 1:
        await school_set(message, state, actor, bot, schools[0])
        return
    await state.set_state(InviteFlow.school)
    items = [(school.name, SchoolChoice(school_id=school.id)) for school in schools]
    await message.answer(_("Which school?"), reply_markup=buttons(items))


async def school_chosen(
    callback: CallbackQuery,
    callback_data: SchoolChoice,
    state: FSMContext,
    actor: Actor,
    bot: Bot,
) -> None:
    role = (await state.get_data())["role"]
    school = chosen(await schools_for(actor, role), callback_data.school_id)
    await mark_chosen(callback, school.name)
    await school_set(callback.message, state, actor, bot, school)


async def school_set(message: Message, state: FSMContext, actor: Actor, bot: Bot, school) -> None:
    """The school is known: issue the invite, or ask what the role still needs."""
    data = await state.update_data(school_id=school.id)
    role = data["role"]
    if role == SPECIALIST:
        await state.set_state(InviteFlow.specialty)
        items = [
            (_(entry.label), SpecialtyChoice(code=entry.code))
            for entry in SPECIALIST_TYPES
            if entry.code != "teacher"
        ]
        await message.answer(_("Which kind of specialist?"), reply_markup=buttons(items, 2))
    elif role == PARENT:
        await ask_class(message, state, actor, school.id)
    else:
        who = f"{_(ROLES[role].label)}, {school.name}"
        await issue(message, state, actor, bot, who, school_id=school.id)


async def specialty_chosen(
    callback: CallbackQuery,
    callback_data: SpecialtyChoice,
    state: FSMContext,
    actor: Actor,
    bot: Bot,
) -> None:
    school_id = (await state.get_data())["school_id"]
    school = chosen(await coordinated_schools(actor), school_id)
    label = _(SPECIALIST_TYPES[callback_data.code].label)
    await mark_chosen(callback, label)
    who = f"{_(ROLES[SPECIALIST].label)} ({label}), {school.name}"
    await issue(
        callback.message, state, actor, bot, who, school_id=school.id, specialty=callback_data.code
    )


async def ask_class(message: Message, state: FSMContext, actor: Actor, school_id: int) -> None:
    classes = await list_classes(actor, school_id)
    if not classes:
        await state.clear()
        await message.answer(_("This school has no classes yet."))
        return
    await state.set_state(InviteFlow.school_class)
    items = [(c.name, ClassChoice(class_id=c.id)) for c in classes]
    await message.answer(
        _("The parent of a student in which class?"), reply_markup=buttons(items, 4)
    )


async def class_chosen(
    callback: CallbackQuery, callback_data: ClassChoice, state: FSMContext, actor: Actor
) -> None:
    school_id = (await state.get_data())["school_id"]
    school_class = chosen(await list_classes(actor, school_id), callback_data.class_id)
    students = await list_students(actor, class_id=school_class.id)
    await mark_chosen(callback, school_class.name)
    if not students:
        await state.clear()
        await callback.message.answer(_("There are no students in this class yet."))
        return
    await state.update_data(class_id=school_class.id)
    await state.set_state(InviteFlow.student)
    items = [(f"{s.first_name} {s.last_name}", StudentChoice(student_id=s.id)) for s in students]
    await callback.message.answer(_("Which student?"), reply_markup=buttons(items, 2))


async def student_chosen(
    callback: CallbackQuery,
    callback_data: StudentChoice,
    state: FSMContext,
    actor: Actor,
    bot: Bot,
) -> None:
    class_id = (await state.get_data())["class_id"]
    student = chosen(await list_students(actor, class_id=class_id), callback_data.student_id)
    name = f"{student.first_name} {student.last_name}"
    await mark_chosen(callback, name)
    who = _("Parent of {name}").format(name=name)
    await issue(callback.message, state, actor, bot, who, student_id=student.id)


async def ask_ngo(message: Message, state: FSMContext, actor: Actor, bot: Bot) -> None:
    ngos = await municipality_ngos(actor)
    if not ngos:
        await state.clear()
        await message.answer(_("There is no youth organisation in your municipality yet."))
    elif len(ngos) == 1:
        await ngo_set(message, state, actor, bot, ngos[0])
    else:
        await state.set_state(InviteFlow.ngo)
        items = [(ngo.name, NgoChoice(ngo_id=ngo.id)) for ngo in ngos]
        await message.answer(_("Which organisation?"), reply_markup=buttons(items))


async def ngo_chosen(
    callback: CallbackQuery, callback_data: NgoChoice, state: FSMContext, actor: Actor, bot: Bot
) -> None:
    ngo = chosen(await municipality_ngos(actor), callback_data.ngo_id)
    await mark_chosen(callback, ngo.name)
    await ngo_set(callback.message, state, actor, bot, ngo)


async def ngo_set(message: Message, state: FSMContext, actor: Actor, bot: Bot, ngo) -> None:
    who = f"{_(ROLES[VOLUNTEER].label)}, {ngo.name}"
    await issue(message, state, actor, bot, who, ngo_id=ngo.id)


async def issue(
    message: Message, state: FSMContext, actor: Actor, bot: Bot, who: str, **scope
) -> None:
    """Create the invite and give its one-time link to pass on."""
    role = (await state.get_data())["role"]
    issued = await create_invite(actor, role, **scope)
    await state.clear()
    link = await create_start_link(bot, issued.code)
    expires = short_date(issued.invite.expires_at.astimezone(RIGA).date(), actor.locale)
    await message.answer(
        _("Invite: {who}.").format(who=who)
        + "\n\n"
        + _(
            "Send this link to the person. It works once: the first person who opens it "
            "joins with this role."
        )
        + "\n"
        + _("Valid until: {date}").format(date=expires)
        + "\n\n"
        + link
    )


async def invite_not_understood(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or stop with /cancel."))


# ---- /pending ----------------------------------------------------------------------------------


def plan_text(plan) -> str:
    student = plan.student
    lines = [
        f"{student.first_name} {student.last_name}, {student.school_class.name}, "
        f"{student.school.name}",
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
    return "\n".join(lines)


def plan_buttons(iap_id: int) -> InlineKeyboardMarkup:
    items = [
        (_("Read"), PlanAction(action="read", iap_id=iap_id)),
        (_("Approve"), PlanAction(action="approve", iap_id=iap_id)),
        (_("Return"), PlanAction(action="return", iap_id=iap_id)),
    ]
    return buttons(items, 3)


def need_line(need, locale: str) -> str:
    student = need.student
    return _("• {name} ({class_name}, {school}): {support}, asked on {date}").format(
        name=f"{student.first_name} {student.last_name}",
        class_name=student.school_class.name,
        school=student.school.name,
        support=_(SUPPORT_TYPES[need.support_type].label),
        date=short_date(need.created_at.astimezone(RIGA).date(), locale),
    )


async def pending(message: Message, actor: Actor, i18n: I18n) -> None:
    plans = await waiting_plans(actor)
    needs = await needs_awaiting_parents(actor)
    if not plans and not needs:
        await message.answer(_("Nothing is waiting for you right now."))
        return
    if plans:
        await message.answer(
            _("Support plans waiting for your approval: {count}").format(count=len(plans))
        )
        for plan in plans[:PLANS_SHOWN]:
            await message.answer(plan_text(plan), reply_markup=plan_buttons(plan.id))
        if len(plans) > PLANS_SHOWN:
            await message.answer(
                _("The oldest {shown} are shown. Approve or return them to see the rest.").format(
                    shown=PLANS_SHOWN
                )
            )
    if needs:
        lines = [_("Support needs still awaiting the parents: {count}").format(count=len(needs))]
        lines += [need_line(need, i18n.current_locale) for need in needs]
        await answer_long(message, "\n".join(lines))


async def pending_from_menu(callback: CallbackQuery, actor: Actor, i18n: I18n) -> None:
    await callback.answer()
    await pending(callback.message, actor, i18n)


async def read_plan(
    callback: CallbackQuery, callback_data: PlanAction, actor: Actor, i18n: I18n
) -> None:
    iap = await coordinated_iap(actor, callback_data.iap_id)
    plan = await assemble_for_student(
        actor, iap.student_id, Semester(iap.school_year, iap.semester)
    )
    await callback.answer()
    await answer_long(callback.message, render_iap(plan, i18n.current_locale))


async def approve(callback: CallbackQuery, callback_data: PlanAction, actor: Actor) -> None:
    iap = await approve_iap(actor, callback_data.iap_id)
    if iap.status == "approved":
        outcome = _("✓ Approved: the plan can now be put into action.")
    else:
        outcome = _("✓ Signed by you. The plan goes on to the next approver.")
    await callback.answer()
    await edit_or_keep(callback.message, f"{callback.message.text}\n\n{outcome}")


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
    await callback.message.answer(
        _("What should change in the plan of {name}? Write a comment for the preparer.").format(
            name=f"{iap.student.first_name} {iap.student.last_name}"
        )
    )


async def return_comment_given(message: Message, state: FSMContext, actor: Actor) -> None:
    iap_id = (await state.get_data())["iap_id"]
    try:
        await return_iap(actor, iap_id, clean_text(message.text))
    except InvalidInput:
        raise  # the comment (empty, too long): said why; the next message is the comment again
    except DomainError:
        await state.clear()  # the plan moved on meanwhile: nothing left to ask
        raise
    await state.clear()
    await message.answer(
        _("Returned to the preparer with your comment. The plan is a draft again.")
    )


async def return_comment_missing(message: Message) -> None:
    await message.answer(_("Please write the comment as a text message, or stop with /cancel."))


# ---- /iap --------------------------------------------------------------------------------------


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
    await search(message, state, actor, i18n, message.text)


async def search(message: Message, state: FSMContext, actor: Actor, i18n: I18n, text: str) -> None:
    """One match: the plan; several: buttons to choose; none: say so and ask again."""
    text = text.strip()
    students = await find_students(actor, text)
    if len(students) == 1:
        await state.clear()
        await show_plan(message, actor, i18n, students[0].id)
        return
    await state.set_state(IapSearch.name)
    if not students:
        await message.answer(
            _("No student found for '{text}'. Type another part of the name, or /cancel.").format(
                text=text
            )
        )
        return
    items = [
        (
            f"{s.first_name} {s.last_name}, {s.school_class.name}, {s.school.name}",
            FoundStudent(student_id=s.id),
        )
        for s in students[:MATCHES_SHOWN]
    ]
    prompt = _("Several students match. Choose one:")
    if len(students) > MATCHES_SHOWN:
        prompt += "\n" + _("Only the first {count} are shown: type more of the name.").format(
            count=MATCHES_SHOWN
        )
    await message.answer(prompt, reply_markup=buttons(items))


async def match_chosen(
    callback: CallbackQuery, callback_data: FoundStudent, actor: Actor, i18n: I18n
) -> None:
    await show_plan(callback.message, actor, i18n, callback_data.student_id)
    await callback.answer()


async def show_plan(message: Message, actor: Actor, i18n: I18n, student_id: int) -> None:
    plan = await assemble_for_student(actor, student_id, Semester.current())
    await answer_long(message, render_iap(plan, i18n.current_locale))


async def name_missing(message: Message) -> None:
    await message.answer(_("Please type part of the student's name, or stop with /cancel."))


def returned_view(student, comment: str | None) -> str:
    """Told to the preparer when an approver returns their plan to draft."""
    text = _("The support plan for {name} was returned to draft.").format(
        name=f"{student.first_name} {student.last_name}"
    )
    if comment:
        text += "\n" + _("Comment: {comment}").format(comment=comment)
    return text + "\n" + _("Change it and send it for approval again: /students")


def create_router() -> Router:
    router = Router(name="coordination")
    router.message.filter(IsCoordinator)
    router.callback_query.filter(IsCoordinator)

    router.message.register(start_invite, Command("invite"))
    router.callback_query.register(invite_from_menu, Menu.filter(F.action == "invite"))
    router.callback_query.register(
        role_chosen, InviteFlow.role, RoleChoice.filter(F.role.in_(ROLES.codes()))
    )
    router.callback_query.register(school_chosen, InviteFlow.school, SchoolChoice.filter())
    router.callback_query.register(
        specialty_chosen,
        InviteFlow.specialty,
        SpecialtyChoice.filter(F.code.in_(SPECIALIST_TYPES.codes()) & (F.code != "teacher")),
    )
    router.callback_query.register(class_chosen, InviteFlow.school_class, ClassChoice.filter())
    router.callback_query.register(student_chosen, InviteFlow.student, StudentChoice.filter())
    router.callback_query.register(ngo_chosen, InviteFlow.ngo, NgoChoice.filter())
    router.message.register(invite_not_understood, StateFilter(InviteFlow), ~F.text.startswith("/"))

    router.message.register(pending, Command("pending"))
    router.callback_query.register(pending_from_menu, Menu.filter(F.action == "pending"))
    router.callback_query.register(read_plan, PlanAction.filter(F.action == "read"))
    router.callback_query.register(approve, PlanAction.filter(F.action == "approve"))
    router.callback_query.register(ask_return_comment, PlanAction.filter(F.action == "return"))
    router.message.register(return_comment_given, ReturnFlow.comment, TYPED_TEXT)
    router.message.register(return_comment_missing, ReturnFlow.comment, ~F.text.startswith("/"))

    router.message.register(iap_command, Command("iap"))
    router.message.register(name_typed, IapSearch.name, TYPED_TEXT)
    router.callback_query.register(match_chosen, IapSearch.name, FoundStudent.filter())
    router.message.register(name_missing, IapSearch.name, ~F.text.startswith("/"))
    return router
