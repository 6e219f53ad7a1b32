"""Coordinators and the programme administrator: the semester report (/report) as a short text,
a chart and the XLSX file, then whether the measures worked (the effectiveness section); one
with several scopes picks one first."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from core.access import Actor
from core.catalogues import MUNICIPALITY_COORDINATOR, PROGRAMME_ADMIN, SCHOOL_COORDINATOR
from core.clock import Semester
from core.digest import Scope
from core.effectiveness import build_effectiveness
from core.effectiveness_view import effectiveness_text
from core.errors import InvalidInput
from core.i18n import N_, gettext
from core.ids import Id
from core.report_chart import report_chart_png
from core.report_export import report_xlsx
from core.report_view import render_report
from core.reports import build_report, report_scopes, scope_name
from handlers.filters import HasRole
from handlers.next_taps import menu, next_taps
from handlers.pickers import buttons
from handlers.replies import answer_long, tapped

IsReportReader = HasRole(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR, PROGRAMME_ADMIN)


class RpScope(CallbackData, prefix="rp"):
    """A report to send: which scope, for which semester (its label without the slash)."""

    kind: str
    scope_id: Id
    year: int
    number: int


def _semester(args: str | None) -> Semester:
    """`/report 2026/27-1` asks for that semester; no argument, this one."""
    if not args:
        return Semester.current()
    try:
        return Semester.parse(args)
    except ValueError:
        raise InvalidInput(N_("Give the semester as 2026/27-1 or 2026/27-2.")) from None


async def report_command(
    message: Message, actor: Actor, i18n: I18n, command: CommandObject
) -> None:
    semester = _semester(command.args)
    scopes = await report_scopes(actor)
    if len(scopes) == 1:
        await send_report(message, actor, i18n.current_locale, scopes[0][0], semester)
        return
    locale = i18n.current_locale
    items = [
        (
            gettext(name, locale) if scope.kind == "country" else name,
            RpScope(
                kind=scope.kind,
                scope_id=scope.id,
                year=semester.school_year,
                number=semester.number,
            ),
        )
        for scope, name in scopes
    ]
    await message.answer(_("Which report?"), reply_markup=buttons(items))


async def scope_chosen(
    callback: CallbackQuery, callback_data: RpScope, actor: Actor, i18n: I18n
) -> None:
    """A scope the person may not read is refused in core."""
    await callback.answer(_("Preparing the report..."))
    scope = Scope(callback_data.kind, callback_data.scope_id)
    semester = Semester(callback_data.year, callback_data.number)
    await send_report(tapped(callback), actor, i18n.current_locale, scope, semester)


async def send_report(
    message: Message, actor: Actor, locale: str, scope: Scope, semester: Semester
) -> None:
    report = await build_report(actor, scope, semester)
    await message.answer(render_report(report, locale), parse_mode="HTML")
    chart = BufferedInputFile(await report_chart_png(report, locale), filename="report.png")
    await message.answer_photo(chart)
    name = f"report_{scope_name(scope)}_{semester.label.replace('/', '-')}.xlsx"
    document = BufferedInputFile(report_xlsx(report, locale), filename=name)
    await message.answer_document(document)
    effectiveness = await build_effectiveness(actor, scope_name(scope), semester)
    await answer_long(message, effectiveness_text(effectiveness, locale), next_taps(actor, menu()))


def create_router() -> Router:
    router = Router(name="report")
    router.message.register(report_command, Command("report"), IsReportReader)
    router.callback_query.register(
        scope_chosen, RpScope.filter(F.number.in_({1, 2})), IsReportReader
    )
    return router
