"""aiogram imported with its Telegram types' validators built on first use, not all at once.

`import aiogram` ends with a `model_rebuild` of every one of its ~440 Telegram types: pydantic
builds a validator and a serializer for each, nested types copied into each one: 132 MiB
resident (34 MiB this way), most of it for types the bot never receives or sends. Imported
through `import_aiogram`, those rebuilds are skipped and each type is built by pydantic itself
the first time it is used (aiogram already declares them `defer_build`): the names the rebuilds
were given (the types' forward references, imported only for type checkers) are put into the
types' modules, where pydantic looks for them. Validation is the same, only later; what nearly
every update uses (`HOT`: the update, a message or a tap, a reply, an edit, the tap's answer,
and Telegram's answers to those) is built at once, so the first teacher after a start does not
wait for it (about a second of building, 7 MiB).

It must run before anything else imports aiogram (`bot.runner` calls it first); if aiogram is
already imported it does nothing. tests/bot/test_lazy_types.py checks that every type still
builds.
"""

import sys
from collections.abc import Mapping
from typing import Any

AIOGRAM_TYPES = "aiogram.types"
HOT_TYPES = ("Update", "Message", "CallbackQuery", "InlineKeyboardMarkup", "InlineKeyboardButton")
HOT_METHODS = ("SendMessage", "EditMessageText", "EditMessageReplyMarkup", "AnswerCallbackQuery")
# pydantic keeps `Response[Message]` and the like only weakly: aiogram asks for one on every call,
# and once collected it is built again (tens of milliseconds). The hot ones are kept here.
ANSWERS: list[type] = []


def import_aiogram() -> None:
    """Import aiogram without building every Telegram type's validator."""
    if "aiogram" in sys.modules:
        return
    from pydantic import BaseModel

    rebuild = BaseModel.__dict__["model_rebuild"]
    namespaces: list[Mapping[str, Any]] = []

    def deferred(cls: type[BaseModel], **options: Any) -> bool | None:
        namespace = options.get("_types_namespace")
        if namespace is not None and cls.__module__.startswith(AIOGRAM_TYPES + "."):
            namespaces.append(namespace)
            return None
        return rebuild.__func__(cls, **options)

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[method-assign,assignment]
    try:
        import aiogram  # noqa: F401
    finally:
        BaseModel.model_rebuild = rebuild  # type: ignore[method-assign]
    if namespaces:
        names = namespaces[0]
        for name, module in list(sys.modules.items()):
            if name.startswith(AIOGRAM_TYPES + ".") and module is not None:
                for key, value in names.items():
                    module.__dict__.setdefault(key, value)
    build_hot()


def build_hot() -> None:
    """Build what nearly every update uses."""
    from aiogram import methods, types
    from aiogram.methods.base import Response

    for name in HOT_TYPES:
        getattr(types, name).model_rebuild()
    for name in HOT_METHODS:
        method = getattr(methods, name)
        method.model_rebuild()
        ANSWERS.append(Response[method.__returning__])  # type: ignore[name-defined]
