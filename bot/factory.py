"""Building the Bot and the Dispatcher: storage, isolation, middlewares, routers, commands."""

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.types import BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

import handlers
from bot.actors import ActorCache
from bot.fsm import keep_fsm_per_update, read_on_arrival
from bot.i18n import PersonI18nMiddleware, create_i18n
from bot.inline_filters import inline_sync_filters
from bot.json_session import JsonSession
from bot.middlewares import ActorMiddleware, DedupeMiddleware, FloodMiddleware, PrivateChatsOnly
from bot.pacing import share_pacer
from bot.retry import retry_replies
from bot.settings import BotSettings
from bot.tap_gates import gate_taps
from core.i18n import DEFAULT_LOCALE, LOCALES
from handlers.common import BOT_DESCRIPTION, BOT_SHORT_DESCRIPTION, command_list


def create_bot(settings: BotSettings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = JsonSession()
        if settings.telegram_api_url:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_url)
    retry_replies(session)
    share_pacer(session)  # replies take turns with the outbox: see bot.pacing
    return Bot(
        token=settings.bot_token or "",
        session=session,
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )


# A flow left half-way is forgotten a day after its user's last update (its data may hold what
# the user typed: a note about a student).
FSM_TTL_SECONDS = 24 * 3600


def create_storage(redis: Redis | None) -> BaseStorage:
    """FSM state in Redis when there is one (several instances share it), else in memory."""
    if redis is None:
        return MemoryStorage()
    return RedisStorage(
        redis,
        key_builder=DefaultKeyBuilder(with_destiny=True),
        state_ttl=FSM_TTL_SECONDS,
        data_ttl=FSM_TTL_SECONDS,
    )


def create_dispatcher(
    settings: BotSettings, *, redis: Redis | None = None, i18n: I18n | None = None
) -> Dispatcher:
    """The dispatcher: private chats only, one user's updates handled one at a time, redeliveries
    dropped."""
    storage = create_storage(redis)
    isolation = (
        storage.create_isolation() if isinstance(storage, RedisStorage) else SimpleEventIsolation()
    )
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation)
    keep_fsm_per_update(dispatcher)
    dedupe, actors = DedupeMiddleware(redis), ActorMiddleware(ActorCache(redis))
    dispatcher.update.outer_middleware(dedupe)
    dispatcher.update.outer_middleware(actors)
    PersonI18nMiddleware(i18n or create_i18n()).setup(dispatcher)
    PrivateChatsOnly(redis).setup(dispatcher)
    flood = FloodMiddleware(settings.flood_limit, settings.flood_window_seconds, redis)
    flood.setup(dispatcher)
    read_on_arrival(dispatcher, dedupe, actors, flood)
    dispatcher.include_router(handlers.root_router())
    gate_taps(dispatcher)
    inline_sync_filters(dispatcher)
    return dispatcher


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """What Telegram shows before anyone joins, in every language we speak: the commands
    everyone has (each person's own list is set when they join), and who the bot is for."""
    for locale in LOCALES:
        language = None if locale == DEFAULT_LOCALE else locale
        commands = command_list(None, locale)
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=language)
        description = i18n.gettext(BOT_DESCRIPTION, locale=locale)
        await bot.set_my_description(description, language_code=language)
        short = i18n.gettext(BOT_SHORT_DESCRIPTION, locale=locale)
        await bot.set_my_short_description(short, language_code=language)
