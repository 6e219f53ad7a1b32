"""For everyone: joining by invite, the menu, help, cancel, language and privacy."""

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel import Locale

from core.access import Actor
from core.catalogues import (
    MUNICIPALITY_COORDINATOR,
    PARENT,
    PROGRAMME_ADMIN,
    ROLES,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    TEACHER,
    VOLUNTEER,
)
from core.errors import DomainError
from core.i18n import LOCALES, N_, gettext
from core.services.people import enroll_by_invite, set_locale, set_quiet_hours
from core.services.privacy import PrivacySettings
from handlers.callbacks import Language, Menu, Quiet
from handlers.next_taps import MENU as MENU_ACTION
from handlers.next_taps import menu as menu_tap
from handlers.next_taps import next_taps
from handlers.replies import tapped

# The menu's actions per role: (action, button label msgid). Each action is also a command.
MENU = {
    TEACHER: [
        ("absent", N_("Mark absences")),
        ("risk", N_("Log a risk signal")),
        ("consult", N_("Log a consultation")),
        ("students", N_("My students")),
    ],
    PARENT: [("needs", N_("Support needs"))],
    VOLUNTEER: [("activity", N_("Register an activity")), ("activities", N_("My activities"))],
    SCHOOL_COORDINATOR: [
        ("students", N_("My students")),
        ("pending", N_("Waiting for me")),
        ("invite", N_("Invite someone")),
        ("digest", N_("Weekly digest")),
    ],
}
MENU[SPECIALIST] = MENU[TEACHER]
MENU[MUNICIPALITY_COORDINATOR] = MENU[SCHOOL_COORDINATOR]
MENU[PROGRAMME_ADMIN] = []  # the programme's administration is at the command line and the API

COMMAND_HELP = {
    "absent": N_("/absent - mark unexcused absences for a class"),
    "risk": N_("/risk - log a risk signal for a student"),
    "consult": N_("/consult - log a consultation session"),
    "students": N_("/students - students at risk, their plans and records"),
    "needs": N_("/needs - your child's support needs"),
    "activity": N_("/activity - register a peer activity"),
    "activities": N_("/activities - the activities you registered"),
    "pending": N_("/pending - plans and questions waiting for you"),
    "invite": N_("/invite - invite a colleague, a parent or a volunteer"),
    "iap": N_("/iap - read a student's support plan"),
    "plan": N_("/plan - open and prepare a student's support plan"),
    "digest": N_("/digest - the weekly digest"),
    "report": N_("/report - the semester report with its spreadsheet"),
}
GENERAL_HELP = {
    "menu": N_("/menu - the main menu"),
    "cancel": N_("/cancel - stop what you are doing"),
    "language": N_("/language - change the language"),
    "privacy": N_("/privacy - what is stored and why"),
    "quiet": N_("/quiet - when I should not write to you"),
    "help": N_("/help - what I can do for you"),
}
ROLE_COMMANDS = {
    TEACHER: ["absent", "risk", "consult", "students", "plan"],
    SPECIALIST: ["absent", "risk", "consult", "students", "plan"],
    PARENT: ["needs"],
    VOLUNTEER: ["activity", "activities"],
    SCHOOL_COORDINATOR: ["students", "pending", "iap", "plan", "invite", "digest", "report"],
    MUNICIPALITY_COORDINATOR: ["students", "pending", "iap", "plan", "invite", "digest", "report"],
    PROGRAMME_ADMIN: ["report"],
}
ADMIN_NOTE = N_(
    "The programme's municipalities, schools and organisations are administered with the "
    "pumpurs admin commands and the HTTP API, not in this bot."
)


# What a person sees in an empty chat before pressing Start, and on the bot's profile.
BOT_DESCRIPTION = N_(
    "Pumpurs helps schools of the PuMPuRS programme support students at risk of leaving school "
    "early: teachers and specialists log risk signals and consultations, coordinators prepare "
    "and approve support plans, parents answer questions and give consent.\n\n"
    "Only for people invited by their school or municipality: ask your school's coordinator "
    "for an invite link."
)
BOT_SHORT_DESCRIPTION = N_(
    "The PuMPuRS programme's assistant for schools and parents. By invitation: ask your "
    "school's coordinator."
)


def command_list(actor: Actor | None, locale: str) -> list[BotCommand]:
    """Telegram's command menu for a person: their roles' commands, then everyone's."""
    roles = sorted(actor.roles) if actor is not None else []
    names = [*dict.fromkeys(c for role in roles for c in ROLE_COMMANDS[role])]
    texts = [*(COMMAND_HELP[name] for name in names), *GENERAL_HELP.values()]
    return [
        BotCommand(command=name, description=gettext(text, locale).split(" - ", 1)[-1][:256])
        for name, text in zip([*names, *GENERAL_HELP], texts, strict=True)
    ]


async def set_person_commands(bot: Bot, actor: Actor, locale: str) -> None:
    """The person's own command menu in their language (after joining or a language change);
    best effort: the menu is a convenience, /help lists the same."""
    with suppress(TelegramAPIError):
        await bot.set_my_commands(
            command_list(actor, locale),
            scope=BotCommandScopeChat(chat_id=actor.person.telegram_id),
        )


def menu_keyboard(actor: Actor) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    seen: set[str] = set()
    for membership in actor.memberships:
        for action, label in MENU[membership.role]:
            if action not in seen:
                seen.add(action)
                builder.button(text=_(label), callback_data=Menu(action=action))
    builder.adjust(2)
    return builder.as_markup()


def how_to_join() -> str:
    return _(
        "This bot serves schools in the PuMPuRS programme. To join, ask your school's "
        "coordinator for an invite link and open it."
    )


async def show_menu(message: Message, actor: Actor) -> None:
    keyboard = menu_keyboard(actor)
    if not keyboard.inline_keyboard:  # a role with nothing to do here: the administrator's
        await message.answer(_(ADMIN_NOTE))
        return
    await message.answer(_("What would you like to do?"), reply_markup=keyboard)


async def start_with_code(
    message: Message, command: CommandObject, actor: Actor | None, i18n: I18n
) -> None:
    user = message.from_user
    assert user is not None, "bot/middlewares.py lets only a person's own private chat through"
    try:
        actor = await enroll_by_invite(
            command.args or "",
            telegram_id=user.id,
            display_name=user.full_name,
            locale=actor.locale if actor else user.language_code,
        )
    except DomainError as error:
        await message.answer(error.text(i18n.current_locale))
        return
    if message.bot is not None:
        await set_person_commands(message.bot, actor, actor.locale)
    with i18n.use_locale(actor.locale):
        roles = ", ".join(_(ROLES[role].label) for role in sorted(actor.roles))
        await message.answer(_("Welcome! You have joined as: {roles}.").format(roles=roles))
        await show_menu(message, actor)


async def start_without_code(message: Message, actor: Actor | None) -> None:
    if actor is None or not actor.roles:
        await message.answer(how_to_join())
        return
    await message.answer(_("Welcome back!"))
    await show_menu(message, actor)


async def menu(message: Message, actor: Actor | None) -> None:
    if actor is None or not actor.roles:
        await message.answer(how_to_join())
        return
    await show_menu(message, actor)


async def menu_tapped(callback: CallbackQuery, actor: Actor | None) -> None:
    """The "Menu" tap under the end of a flow (handlers/next_taps.py)."""
    await callback.answer()
    await menu(tapped(callback), actor)


async def help_command(message: Message, actor: Actor | None) -> None:
    lines = [_("What I can do for you:")]
    if actor is None or not actor.roles:
        lines.append(how_to_join())
    else:
        commands = dict.fromkeys(c for role in sorted(actor.roles) for c in ROLE_COMMANDS[role])
        lines += [_(COMMAND_HELP[c]) for c in commands]
        if actor.is_programme_admin:
            lines.append(_(ADMIN_NOTE))
    lines += ["", *(_(text) for text in GENERAL_HELP.values())]
    await message.answer("\n".join(lines))


async def cancel(message: Message, state: FSMContext, actor: Actor | None) -> None:
    had_step = await state.get_state() is not None
    await state.clear()
    await message.answer(
        _("Stopped. Nothing more was saved.") if had_step else _("There is nothing to stop.")
    )
    if actor is not None and actor.roles:
        await show_menu(message, actor)


async def privacy(message: Message) -> None:
    years = PrivacySettings().retention_years
    period = ngettext("{n} year", "{n} years", years).format(n=years)
    await message.answer(
        _(
            "What we store and why\n"
            "• About you: your name in Telegram, your Telegram id, your language and your "
            "role, so that the bot knows what you may see.\n"
            "• About students: name, class and school; the risk signals, consultations, "
            "support needs and support plans that staff and parents record. This is needed "
            "to plan and give help under the PuMPuRS programme. Personal ID codes are never "
            "stored.\n"
            "• Volunteers record only numbers of participants, never names.\n"
            "\n"
            "Who sees what: teachers and specialists see the students of their own school; "
            "a parent sees only their own child's plan and support needs, never staff notes; "
            "coordinators see their school or municipality; volunteers see no student data.\n"
            "\n"
            "Every change, and every time someone opens a child's plan or records, is logged: "
            "who, what and when (never the content). The school's coordinator can see who has "
            "looked at a child's data.\n"
            "\n"
            "How long: when a student's last support plan has ended (or, without a plan, "
            "their last record), their data is kept for {period}, then names and notes are "
            "erased for good. Only numbers without names stay, for the programme's statistics."
            "\n\n"
            "A parent, or a student who is of age, can ask the school's coordinator for a copy "
            "of everything stored about the child, or for it to be erased.\n"
            "\n"
            "Questions: ask your school's coordinator. The programme's data controller is "
            "{controller}."
        ).format(period=period, controller=_("the State Education Quality Service (IKVD)"))
    )


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in LOCALES:
        name = (Locale.parse(code).get_display_name(code) or code).capitalize()
        builder.button(text=name, callback_data=Language(code=code))
    builder.adjust(2)
    return builder.as_markup()


async def language(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard())


async def language_chosen(
    callback: CallbackQuery, callback_data: Language, actor: Actor | None, i18n: I18n
) -> None:
    await callback.answer()
    if actor is None:
        await tapped(callback).answer(how_to_join())
        return
    await set_locale(actor.id, callback_data.code)
    if callback.bot is not None:
        await set_person_commands(callback.bot, actor, callback_data.code)
    with i18n.use_locale(callback_data.code):
        await tapped(callback).answer(
            _("Done: I will write to you in this language."),
            reply_markup=next_taps(actor, menu_tap()),
        )


# Quiet-hour choices: (start, end) in minutes after midnight; equal means never quiet.
QUIET_CHOICES = {
    "default": (None, None),
    "22-07": (22 * 60, 7 * 60),
    "20-09": (20 * 60, 9 * 60),
    "off": (0, 0),
}


def quiet_keyboard() -> InlineKeyboardMarkup:
    labels = {
        "default": _("21:00-08:00 (usual)"),
        "22-07": "22:00-07:00",
        "20-09": "20:00-09:00",
        "off": _("Any time"),
    }
    builder = InlineKeyboardBuilder()
    for code, label in labels.items():
        builder.button(text=label, callback_data=Quiet(code=code))
    builder.adjust(2)
    return builder.as_markup()


async def quiet(message: Message, actor: Actor | None) -> None:
    if actor is None:
        await message.answer(how_to_join())
        return
    await message.answer(
        _("When should I not send you messages? Questions and digests wait until the morning."),
        reply_markup=quiet_keyboard(),
    )


async def quiet_chosen(callback: CallbackQuery, callback_data: Quiet, actor: Actor | None) -> None:
    await callback.answer()
    if actor is None:
        await tapped(callback).answer(how_to_join())
        return
    await set_quiet_hours(actor.id, *QUIET_CHOICES[callback_data.code])
    await tapped(callback).answer(
        _("Saved: I will keep to these quiet hours."), reply_markup=next_taps(actor, menu_tap())
    )


def create_router() -> Router:
    router = Router(name="common")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start_without_code, CommandStart())
    router.message.register(menu, Command("menu"))
    router.callback_query.register(menu_tapped, Menu.filter(F.action == MENU_ACTION))
    router.message.register(help_command, Command("help"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(privacy, Command("privacy"))
    router.message.register(language, Command("language"))
    router.callback_query.register(language_chosen, Language.filter(F.code.in_(LOCALES)))
    router.message.register(quiet, Command("quiet"))
    router.callback_query.register(quiet_chosen, Quiet.filter(F.code.in_(QUIET_CHOICES)))
    return router
