"""Coordinators invite people: the role, the school (and specialty, class or student), the link."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import (
    PARENT,
    ROLES,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    SPECIALIST_TYPES,
    VOLUNTEER,
)
from core.clock import RIGA
from core.errors import AccessDenied
from core.formatting import short_date
from core.ids import Id
from core.services.pending import (
    coordinated_schools,
    invitable_roles,
    municipality_ngos,
    municipality_schools,
)
from core.services.people import create_invite
from core.services.schools import class_list, list_classes
from handlers.callbacks import Menu
from handlers.filters import IsCoordinator
from handlers.next_taps import another, menu, next_taps
from handlers.pickers import buttons, chosen, entry_label, mark_chosen, pgettext
from handlers.replies import tapped


class InviteFlow(StatesGroup):
    role = State()
    school = State()
    specialty = State()
    school_class = State()
    student = State()
    ngo = State()


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


async def start_invite(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    await state.set_state(InviteFlow.role)
    roles = [(entry_label(ROLES[role]), RoleChoice(role=role)) for role in invitable_roles(actor)]
    await message.answer(_("Whom would you like to invite?"), reply_markup=buttons(roles, 2))


async def invite_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await start_invite(tapped(callback), state, actor)


async def role_chosen(
    callback: CallbackQuery, callback_data: RoleChoice, state: FSMContext, actor: Actor, bot: Bot
) -> None:
    role = callback_data.role
    if role not in invitable_roles(actor):
        raise AccessDenied()
    await mark_chosen(callback, _(ROLES[role].label))
    await state.update_data(role=role)
    if role == VOLUNTEER:
        await ask_ngo(tapped(callback), state, actor, bot)
    else:
        await ask_school(tapped(callback), state, actor, bot)


async def schools_for(actor: Actor, role: str) -> list:
    if role == SCHOOL_COORDINATOR:
        return await municipality_schools(actor)
    return await coordinated_schools(actor)


async def ask_school(message: Message, state: FSMContext, actor: Actor, bot: Bot) -> None:
    role = (await state.get_data())["role"]
    schools = await schools_for(actor, role)
    if not schools:
        await state.clear()
        await message.answer(_("There is no school in your scope yet."), reply_markup=ended(actor))
        return
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
    await school_set(tapped(callback), state, actor, bot, school)


async def school_set(message: Message, state: FSMContext, actor: Actor, bot: Bot, school) -> None:
    """The school is known: issue the invite, or ask what the role still needs."""
    data = await state.update_data(school_id=school.id)
    role = data["role"]
    if role == SPECIALIST:
        await state.set_state(InviteFlow.specialty)
        items = [
            (entry_label(entry), SpecialtyChoice(code=entry.code))
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
        tapped(callback), state, actor, bot, who, school_id=school.id, specialty=callback_data.code
    )


async def ask_class(message: Message, state: FSMContext, actor: Actor, school_id: int) -> None:
    classes = await list_classes(actor, school_id)
    if not classes:
        await state.clear()
        await message.answer(_("This school has no classes yet."), reply_markup=ended(actor))
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
    students = await class_list(actor, school_class.id)
    await mark_chosen(callback, school_class.name)
    if not students:
        await state.clear()
        await tapped(callback).answer(
            _("There are no students in this class yet."), reply_markup=ended(actor)
        )
        return
    await state.update_data(class_id=school_class.id)
    await state.set_state(InviteFlow.student)
    items = [(f"{s.first_name} {s.last_name}", StudentChoice(student_id=s.id)) for s in students]
    await tapped(callback).answer(_("Which student?"), reply_markup=buttons(items, 2))


async def student_chosen(
    callback: CallbackQuery,
    callback_data: StudentChoice,
    state: FSMContext,
    actor: Actor,
    bot: Bot,
) -> None:
    class_id = (await state.get_data())["class_id"]
    student = chosen(await class_list(actor, class_id), callback_data.student_id)
    name = f"{student.first_name} {student.last_name}"
    await mark_chosen(callback, name)
    who = _("Parent of {name}").format(name=name)
    await issue(tapped(callback), state, actor, bot, who, student_id=student.id)


async def ask_ngo(message: Message, state: FSMContext, actor: Actor, bot: Bot) -> None:
    ngos = await municipality_ngos(actor)
    if not ngos:
        await state.clear()
        await message.answer(
            _("There is no youth organisation in your municipality yet."),
            reply_markup=ended(actor),
        )
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
    await ngo_set(tapped(callback), state, actor, bot, ngo)


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
        + link,
        reply_markup=ended(actor),
    )


def ended(actor: Actor) -> InlineKeyboardMarkup | None:
    """Another invite (another role, school or person), or the menu."""
    another_one = another(pgettext("button", "Another invite"), "invite", IsCoordinator)
    return next_taps(actor, another_one, menu())


async def invite_not_understood(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above, or stop with /cancel."))


def create_router() -> Router:
    router = Router(name="invites")
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
    return router
