"""Volunteers: register a peer activity (numbers only, never names) and list their own."""

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.access import Actor, volunteered_ngo
from core.catalogues import ACTIVITY_FORMATS
from core.clock import date_problem, today
from core.errors import AccessDenied, InvalidInput, NotFound
from core.formatting import number, short_date
from core.i18n import N_
from core.ids import Id
from core.services.activities import (
    DESCRIPTION_LIMIT,
    MAX_HOURS,
    MAX_PARTICIPANTS,
    TITLE_LIMIT,
    ngo_schools,
    register_peer_activity,
)
from core.services.pending import own_activities, volunteer_ngos
from core.text import clean_line, clean_text
from handlers.callbacks import Menu
from handlers.checked_first import check_first
from handlers.filters import TYPED_TEXT, IsVolunteer
from handlers.markup import appended, html
from handlers.next_taps import another, menu, next_taps
from handlers.pickers import entry_label, pgettext
from handlers.replies import answer_long, edit_or_keep, tapped
from handlers.typed import parse_day, whole_number

MIN_HOURS = Decimal("0.25")


class ActivityFlow(StatesGroup):
    ngo = State()
    title = State()
    day = State()
    place = State()
    format = State()
    participants = State()
    at_risk = State()
    hours = State()
    description = State()
    confirm = State()


class NgoChoice(CallbackData, prefix="act_ngo"):
    ngo_id: Id


class DayChoice(CallbackData, prefix="act_day"):
    days_ago: int  # 0 today, 1 yesterday


class PlaceChoice(CallbackData, prefix="act_at"):
    school_id: int  # 0: the municipality as a whole


class FormatChoice(CallbackData, prefix="act_fmt"):
    code: str


class Step(CallbackData, prefix="act_do"):
    action: str  # skip | save | cancel


# ---- the questions, each asked again after a wrong answer --------------------------------------

Ask = Callable[[Message, Actor, dict[str, Any]], Awaitable[None]]


async def ask_ngo(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    builder = InlineKeyboardBuilder()
    for ngo in await volunteer_ngos(actor):
        builder.button(text=ngo.name, callback_data=NgoChoice(ngo_id=ngo.id))
    builder.adjust(1)
    await message.answer(
        _("For which organisation are you registering the activity?"),
        reply_markup=builder.as_markup(),
    )


async def ask_title(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    await message.answer(
        _("What was the activity? Type a short title (at most {max} characters).").format(
            max=TITLE_LIMIT
        )
    )


async def ask_day(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Today"), callback_data=DayChoice(days_ago=0))
    builder.button(text=_("Yesterday"), callback_data=DayChoice(days_ago=1))
    await message.answer(
        _(
            "When was it held? Tap a button or type the date as dd.mm, for example {example}."
        ).format(example=f"{today():%d.%m}"),
        reply_markup=builder.as_markup(),
    )


async def ask_place(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("The whole municipality"), callback_data=PlaceChoice(school_id=0))
    for school in await ngo_schools(actor, data["ngo_id"]):
        builder.button(text=school.name, callback_data=PlaceChoice(school_id=school.id))
    builder.adjust(1)
    await message.answer(
        _("Where was it held: for the whole municipality or at one school?"),
        reply_markup=builder.as_markup(),
    )


async def ask_format(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    builder = InlineKeyboardBuilder()
    for entry in ACTIVITY_FORMATS:
        builder.button(text=entry_label(entry), callback_data=FormatChoice(code=entry.code))
    builder.adjust(2)
    await message.answer(_("What kind of activity was it?"), reply_markup=builder.as_markup())


async def ask_participants(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    await message.answer(_("How many participants were there? Type a number."))


async def ask_at_risk(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    await message.answer(
        _(
            "How many of them are students at risk of leaving school early? Type a number "
            "from 0 to {max}. Only the number, please: never names."
        ).format(max=data["participants"])
    )


async def ask_hours(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    await message.answer(_("How many hours did it last? Type a number, for example 1.5."))


async def ask_description(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=Step(action="skip"))
    await message.answer(
        _("Add a short description if you like (no names of students), or tap Skip."),
        reply_markup=builder.as_markup(),
    )


async def show_summary(message: Message, actor: Actor, data: dict[str, Any]) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Save"), callback_data=Step(action="save"))
    builder.button(text=_("Cancel"), callback_data=Step(action="cancel"))
    text = html(Bold(_("Please check the activity:"))) + "\n" + await summary(actor, data)
    await answer_long(message, text, builder.as_markup(), html=True)


ASK: dict[str | None, Ask] = {
    ActivityFlow.ngo.state: ask_ngo,
    ActivityFlow.title.state: ask_title,
    ActivityFlow.day.state: ask_day,
    ActivityFlow.place.state: ask_place,
    ActivityFlow.format.state: ask_format,
    ActivityFlow.participants.state: ask_participants,
    ActivityFlow.at_risk.state: ask_at_risk,
    ActivityFlow.hours.state: ask_hours,
    ActivityFlow.description.state: ask_description,
    ActivityFlow.confirm.state: show_summary,
}
BUTTON_STEPS = {ActivityFlow.ngo.state, ActivityFlow.place.state, ActivityFlow.format.state}


async def summary(actor: Actor, data: dict[str, Any]) -> str:
    """The activity as it will be saved, line by line, in HTML (every name and text escaped)."""
    locale = actor.locale
    ngo = next((n for n in await volunteer_ngos(actor) if n.id == data["ngo_id"]), None)
    if ngo is None:  # no longer this volunteer's organisation: as core answers a volunteer
        raise NotFound()
    place = _("the whole municipality ({name})").format(name=ngo.municipality.name)
    if data["school_id"]:
        schools = {s.id: s.name for s in await ngo_schools(actor, ngo.id)}
        if data["school_id"] not in schools:  # the organisation moved to another municipality
            raise InvalidInput(N_("Choose a school in the organisation's municipality."))
        place = schools[data["school_id"]]
    activity_format = ACTIVITY_FORMATS[data["format"]]
    lines = [
        _("Organisation: {name}").format(name=ngo.name),
        _("Title: {title}").format(title=data["title"]),
        _("Date: {date}").format(date=short_date(date.fromisoformat(data["held_on"]), locale)),
        _("Where: {place}").format(place=place),
        _("Format: {format}").format(format=_(activity_format.label)),
        _("Participants: {count}").format(count=data["participants"]),
        _("Of them students at risk: {count}").format(count=data["at_risk"]),
        _("Hours: {hours}").format(hours=number(Decimal(data["hours"]), locale)),
    ]
    if data.get("description"):
        lines.append(_("Description: {text}").format(text=data["description"]))
    return html(*lines)


async def organisation_still_theirs(actor: Actor, data: dict[str, Any]) -> None:
    """The flow's organisation is still one the volunteer works for (refused as core refuses)."""
    await volunteered_ngo(actor, data["ngo_id"])


async def go_to(
    step: State, message: Message, state: FSMContext, actor: Actor, **values: Any
) -> None:
    """Keep the answer, move to the step and ask its question. Before the summary: a school
    chosen that is no longer in the organisation's municipality (it moved meanwhile) is asked
    for again."""
    data = await state.update_data(**values)
    if step == ActivityFlow.confirm and not await school_in_municipality(actor, data):
        await message.answer(_("Choose a school in the organisation's municipality."))
        step = ActivityFlow.place
    await state.set_state(step)
    await ASK[step.state](message, actor, data)


async def school_in_municipality(actor: Actor, data: dict[str, Any]) -> bool:
    """Whether the school chosen (if any) is one where the organisation may hold activities."""
    if not data["school_id"]:
        return True
    return any(s.id == data["school_id"] for s in await ngo_schools(actor, data["ngo_id"]))


async def mark_chosen(callback: CallbackQuery, label: str) -> None:
    """Answer the tap and keep the choice in the question, without its buttons."""
    await callback.answer()
    await edit_or_keep(tapped(callback), appended(tapped(callback), f"→ {label}"), html=True)


# ---- the conversation --------------------------------------------------------------------------


async def start_activity(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    if not actor.ngo_ids:
        raise AccessDenied()
    if len(actor.ngo_ids) > 1:
        await state.set_state(ActivityFlow.ngo)
        await ask_ngo(message, actor, {})
        return
    (ngo_id,) = actor.ngo_ids
    await go_to(ActivityFlow.title, message, state, actor, ngo_id=ngo_id)


async def start_from_menu(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await callback.answer()
    await start_activity(tapped(callback), state, actor)


async def ngo_chosen(
    callback: CallbackQuery, callback_data: NgoChoice, state: FSMContext, actor: Actor
) -> None:
    if callback_data.ngo_id not in actor.ngo_ids:
        raise AccessDenied()
    ngo = next(n for n in await volunteer_ngos(actor) if n.id == callback_data.ngo_id)
    await mark_chosen(callback, ngo.name)
    await go_to(ActivityFlow.title, tapped(callback), state, actor, ngo_id=ngo.id)


async def title_given(message: Message, state: FSMContext, actor: Actor) -> None:
    title = clean_line(message.text or "")  # a refused character: the error handler says
    if not title or len(title) > TITLE_LIMIT:
        await message.answer(_("Give a title of at most {max} characters.").format(max=TITLE_LIMIT))
        return
    await go_to(ActivityFlow.day, message, state, actor, title=title)


async def day_chosen(
    callback: CallbackQuery, callback_data: DayChoice, state: FSMContext, actor: Actor
) -> None:
    held_on = today() - timedelta(days=callback_data.days_ago)
    await mark_chosen(callback, short_date(held_on, actor.locale))
    await go_to(ActivityFlow.place, tapped(callback), state, actor, held_on=held_on.isoformat())


async def day_typed(message: Message, state: FSMContext, actor: Actor) -> None:
    held_on = parse_day(message.text or "", today().year)
    if held_on is None:
        await message.answer(
            _("Type the date as dd.mm, for example {example}.").format(example=f"{today():%d.%m}")
        )
    elif (problem := date_problem(held_on)) is not None:
        await message.answer(_(problem))
    else:
        await go_to(ActivityFlow.place, message, state, actor, held_on=held_on.isoformat())


async def place_chosen(
    callback: CallbackQuery, callback_data: PlaceChoice, state: FSMContext, actor: Actor
) -> None:
    data = await state.get_data()
    label = _("The whole municipality")
    if callback_data.school_id:
        schools = {s.id: s.name for s in await ngo_schools(actor, data["ngo_id"])}
        if callback_data.school_id not in schools:
            raise AccessDenied()
        label = schools[callback_data.school_id]
    await mark_chosen(callback, label)
    # asked again before the summary (`go_to`): every later answer is given, back to the summary
    following = ActivityFlow.confirm if "description" in data else ActivityFlow.format
    await go_to(following, tapped(callback), state, actor, school_id=callback_data.school_id)


async def format_chosen(
    callback: CallbackQuery, callback_data: FormatChoice, state: FSMContext, actor: Actor
) -> None:
    await mark_chosen(callback, _(ACTIVITY_FORMATS[callback_data.code].label))
    await go_to(
        ActivityFlow.participants, tapped(callback), state, actor, format=callback_data.code
    )


async def participants_given(message: Message, state: FSMContext, actor: Actor) -> None:
    count = whole_number(message.text or "")
    if count is None or not 1 <= count <= MAX_PARTICIPANTS:
        await message.answer(
            _("Give the number of participants, from 1 to {max}.").format(max=MAX_PARTICIPANTS)
        )
        return
    await go_to(ActivityFlow.at_risk, message, state, actor, participants=count)


async def at_risk_given(message: Message, state: FSMContext, actor: Actor) -> None:
    participants = (await state.get_data())["participants"]
    count = whole_number(message.text or "")
    if count is None or not 0 <= count <= participants:
        await message.answer(
            _("Students at risk: a number from 0 to {max}, the participants.").format(
                max=participants
            )
        )
        return
    await go_to(ActivityFlow.hours, message, state, actor, at_risk=count)


def parse_hours(text: str) -> Decimal | None:
    """`1.5` or `1,5` within the allowed range, to two decimals; None otherwise."""
    try:
        hours = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not hours.is_finite() or not MIN_HOURS <= hours <= MAX_HOURS:
        return None
    return hours.quantize(Decimal("0.01"))


async def hours_given(message: Message, state: FSMContext, actor: Actor) -> None:
    hours = parse_hours(message.text or "")
    if hours is None:
        await message.answer(
            _("Give the hours as a number from {min} to {max}, for example 1.5.").format(
                min=number(MIN_HOURS, actor.locale), max=number(MAX_HOURS, actor.locale)
            )
        )
        return
    await go_to(ActivityFlow.description, message, state, actor, hours=str(hours))


async def description_given(message: Message, state: FSMContext, actor: Actor) -> None:
    description = clean_text(message.text or "")
    if len(description) > DESCRIPTION_LIMIT:
        await message.answer(
            _("The description is too long: at most {max} characters.").format(
                max=DESCRIPTION_LIMIT
            )
        )
        return
    await go_to(ActivityFlow.confirm, message, state, actor, description=description)


async def description_skipped(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await mark_chosen(callback, _("Skip"))
    await go_to(ActivityFlow.confirm, tapped(callback), state, actor, description="")


async def save(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    data = await state.get_data()
    activity = await register_peer_activity(
        actor,
        data["ngo_id"],
        title=data["title"],
        held_on=date.fromisoformat(data["held_on"]),
        format=data["format"],
        participants=data["participants"],
        at_risk_participants=data["at_risk"],
        hours=Decimal(data["hours"]),
        school_id=data["school_id"] or None,
        description=data["description"] or None,
    )
    await state.clear()
    await callback.answer()
    await edit_or_keep(tapped(callback), tapped(callback).html_text, html=True)
    await tapped(callback).answer(
        _("Saved: '{title}' ({date}). Thank you! See all in /activities.").format(
            title=activity.title, date=short_date(activity.held_on, actor.locale)
        ),
        reply_markup=ended_taps(actor),
    )


def ended_taps(actor: Actor) -> InlineKeyboardMarkup | None:
    another_one = another(pgettext("button", "Another activity"), "activity", IsVolunteer)
    return next_taps(actor, another_one, menu())


async def cancel(callback: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    await callback.answer()
    await edit_or_keep(tapped(callback), tapped(callback).html_text, html=True)
    await tapped(callback).answer(_("Stopped. Nothing was saved."), reply_markup=ended_taps(actor))


async def not_understood(message: Message, state: FSMContext, actor: Actor) -> None:
    """A photo where text is due, or text where a button is: say so and ask again."""
    step = await state.get_state()
    if step in BUTTON_STEPS or step == ActivityFlow.confirm.state:
        await message.answer(_("Please choose with the buttons."))
    else:
        await message.answer(_("Please answer with a text message."))
    await ASK[step](message, actor, await state.get_data())


# ---- the list ----------------------------------------------------------------------------------


async def list_activities(message: Message, actor: Actor, i18n: I18n) -> None:
    activities = await own_activities(actor)
    if not activities:
        await message.answer(
            _("You have not registered any activities yet. Register one with /activity.")
        )
        return
    lines: list[str | Text] = [Bold(_("Your activities:"))]
    for activity in activities:
        lines.append(
            _("• {date} {title}: participants {count}, at risk {at_risk}, hours {hours}").format(
                date=short_date(activity.held_on, i18n.current_locale),
                title=activity.title,
                count=activity.participants,
                at_risk=activity.at_risk_participants,
                hours=number(activity.hours, i18n.current_locale),
            )
        )
    await answer_long(message, html(*lines), html=True)


async def list_from_menu(callback: CallbackQuery, actor: Actor, i18n: I18n) -> None:
    await callback.answer()
    await list_activities(tapped(callback), actor, i18n)


def create_router() -> Router:
    router = Router(name="activities")
    router.message.filter(IsVolunteer)
    router.callback_query.filter(IsVolunteer)
    check_first(  # the steps after the organisation was chosen
        router,
        organisation_still_theirs,
        ActivityFlow.title,
        ActivityFlow.day,
        ActivityFlow.place,
        ActivityFlow.format,
        ActivityFlow.participants,
        ActivityFlow.at_risk,
        ActivityFlow.hours,
        ActivityFlow.description,
        ActivityFlow.confirm,
    )
    router.message.register(start_activity, Command("activity"))
    router.message.register(list_activities, Command("activities"))
    router.callback_query.register(start_from_menu, Menu.filter(F.action == "activity"))
    router.callback_query.register(list_from_menu, Menu.filter(F.action == "activities"))

    router.callback_query.register(ngo_chosen, ActivityFlow.ngo, NgoChoice.filter())
    router.message.register(title_given, ActivityFlow.title, TYPED_TEXT)
    router.callback_query.register(
        day_chosen, ActivityFlow.day, DayChoice.filter(F.days_ago.in_({0, 1}))
    )
    router.message.register(day_typed, ActivityFlow.day, TYPED_TEXT)
    router.callback_query.register(place_chosen, ActivityFlow.place, PlaceChoice.filter())
    router.callback_query.register(
        format_chosen,
        ActivityFlow.format,
        FormatChoice.filter(F.code.in_(ACTIVITY_FORMATS.codes())),
    )
    router.message.register(participants_given, ActivityFlow.participants, TYPED_TEXT)
    router.message.register(at_risk_given, ActivityFlow.at_risk, TYPED_TEXT)
    router.message.register(hours_given, ActivityFlow.hours, TYPED_TEXT)
    router.message.register(description_given, ActivityFlow.description, TYPED_TEXT)
    router.callback_query.register(
        description_skipped, ActivityFlow.description, Step.filter(F.action == "skip")
    )
    router.callback_query.register(save, ActivityFlow.confirm, Step.filter(F.action == "save"))
    router.callback_query.register(cancel, ActivityFlow.confirm, Step.filter(F.action == "cancel"))
    router.message.register(not_understood, StateFilter(ActivityFlow), ~F.text.startswith("/"))
    return router
