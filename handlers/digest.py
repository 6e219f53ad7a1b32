"""Coordinators: the weekly digest on request (/digest), for this week or the last."""

from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.access import Actor
from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.chart import chart_png
from core.digest import Scope, Week, build_digest, digest_history
from core.digest_view import render_digest
from core.i18n import supported
from core.ids import Id
from core.services.digests import coordinator_scope
from handlers.callbacks import Menu
from handlers.filters import IsCoordinator
from handlers.next_taps import another, menu, next_taps
from handlers.pickers import pgettext
from handlers.replies import Outgoing, split_text, tapped


class DgWeek(CallbackData, prefix="dg"):
    """A digest to show: which of the person's scopes, this week (0) or the last (1)."""

    kind: str
    scope_id: Id
    weeks_back: int


async def digest_messages(actor: Actor, scope: Scope, week: Week) -> list[Outgoing]:
    """The digest as text (split under Telegram's limit), then its eight-week chart."""
    locale = supported(actor.locale)
    digest = await build_digest(actor, scope, week.start)
    history = await digest_history(actor, scope, until=week.start)
    chart = await chart_png(history, locale)
    texts = [Outgoing(part) for part in split_text(render_digest(digest, locale))]
    return [*texts, Outgoing(Text(_("The last eight weeks")).as_html(), photo=chart)]


def scopes_of(actor: Actor) -> list[Scope]:
    return [
        coordinator_scope(m)
        for m in actor.memberships
        if m.role in (SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR)
    ]


async def ask_week(message: Message, actor: Actor) -> None:
    builder = InlineKeyboardBuilder()
    scopes = scopes_of(actor)
    for scope in scopes:
        where = _("school") if scope.kind == "school" else _("municipality")
        for weeks_back, label in ((0, _("This week")), (1, _("Last week"))):
            if len(scopes) > 1:
                label = f"{label} · {where}"
            data = DgWeek(kind=scope.kind, scope_id=scope.id, weeks_back=weeks_back)
            builder.button(text=label, callback_data=data)
    builder.adjust(2)
    await message.answer(_("Which week's digest?"), reply_markup=builder.as_markup())


async def digest_command(message: Message, actor: Actor) -> None:
    await ask_week(message, actor)


async def digest_from_menu(callback: CallbackQuery, actor: Actor) -> None:
    await callback.answer()
    await ask_week(tapped(callback), actor)


async def week_chosen(
    callback: CallbackQuery, callback_data: DgWeek, actor: Actor, bot: Bot
) -> None:
    """Build and send the digest; a scope the person does not coordinate is refused in core."""
    await callback.answer(_("Preparing the digest..."))
    scope = Scope(callback_data.kind, callback_data.scope_id)
    week = Week.current().previous(callback_data.weeks_back)
    *before, last = await digest_messages(actor, scope, week)
    another_week = another(pgettext("button", "Another week"), "digest", IsCoordinator)
    taps = next_taps(actor, another_week, menu())
    for outgoing in [*before, replace(last, keyboard=taps)]:
        await outgoing.send(bot, tapped(callback).chat.id)


def create_router() -> Router:
    router = Router(name="digest")
    router.message.register(digest_command, Command("digest"), IsCoordinator)
    router.callback_query.register(
        digest_from_menu, Menu.filter(F.action == "digest"), IsCoordinator
    )
    router.callback_query.register(
        week_chosen, DgWeek.filter(F.weeks_back.in_({0, 1})), IsCoordinator
    )
    return router
