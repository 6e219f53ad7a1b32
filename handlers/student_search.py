"""Finding a student by a part of the name, for the flows that start from one (/plan, /iap)."""

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.errors import InvalidInput
from core.services.pending import find_students
from handlers.pickers import buttons

MATCHES_SHOWN = 10


async def only_match(
    message: Message, actor: Actor, text: str, choice: Callable[[int], CallbackData]
) -> int | None:
    """The id of the one student in scope whose name matches `text`. Otherwise None, once the
    person is told: several match (buttons to choose, their data made by `choice`), none, or
    the text cannot be searched for."""
    text = text.strip()
    try:
        students = await find_students(actor, text)
    except InvalidInput as problem:
        await message.answer(problem.text(get_i18n().current_locale))
        return None
    if len(students) == 1:
        return students[0].id
    if not students:
        await message.answer(
            _("No student found for '{text}'. Type another part of the name, or /cancel.").format(
                text=text
            )
        )
        return None
    items = [
        (
            f"{s.first_name} {s.last_name}, {s.school_class.name}, {s.school.name}",
            choice(s.id),
        )
        for s in students[:MATCHES_SHOWN]
    ]
    prompt = _("Several students match. Choose one:")
    if len(students) > MATCHES_SHOWN:
        prompt += "\n" + _("Only the first {count} are shown: type more of the name.").format(
            count=MATCHES_SHOWN
        )
    await message.answer(prompt, reply_markup=buttons(items))
    return None
