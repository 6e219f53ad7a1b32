"""Drawing the support plan's A4 PDF with fpdf2 (see core.iap_pdf, which imports this module at
the first PDF drawn: fpdf2 brings fontTools, numpy and PIL, tens of MiB a process serving no PDF
need not hold).

Drawn from the same assembled plan the API and the bot show, so what a parent may not read
(`for_parent`) is not in their PDF either; a parent's copy also has no comment column at all.
The font is DejaVu Sans, shipped with matplotlib (found without importing matplotlib), subset
into the file by fpdf2: it has every Latvian, Russian and Ukrainian letter.
"""

import importlib.util
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, partial
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from core.catalogues import (
    ADULT_STUDENT,
    APPROVAL_STEPS,
    CONSENT_METHODS,
    CONSENT_STATES,
    IAP_STATUSES,
    RISK_FACTORS,
    RISK_GROUPS,
    RISK_LEVELS,
)
from core.clock import today
from core.formatting import date_range, date_time, month_names, number, semester_text, short_date
from core.i18n import N_, gettext, ngettext, supported
from core.iap import AssembledIap, MeasureLine
from core.iap_view import measure_subject

PROJECT_NUMBER = "8.3.4.0/16/I/001"
# The project's official name, printed in Latvian whatever the reader's language.
PROJECT_NAME = N_("Support for reducing early school leaving")
FONT = "DejaVu"
# What the PDF's fonts hold: Latin with Latvian letters, Cyrillic, punctuation (dashes, quotes,
# ellipsis, №, €) and the replacement character, which stands in for anything else in a text.
RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x400, 0x4FF),
    (0x2010, 0x2027),
    (0x2030, 0x203A),
    (0x20AC, 0x20AC),
    (0x2116, 0x2116),
    (0xFFFD, 0xFFFD),
)
OUTSIDE = re.compile("[^\n" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in RANGES) + "]")
MARGIN = 18  # mm
FOOTER_NAME = 60  # characters of the student's name in the footer
TEXT = (20, 20, 20)
MUTED = (90, 90, 90)
SHADE = (232, 232, 232)
LINE = 5  # mm, the height of a line of body text
BOLD = FontFace(emphasis="BOLD")
HEADINGS = FontFace(emphasis="BOLD", fill_color=SHADE)


@cache
def font_files() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold from matplotlib's data, located without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib, which ships the DejaVu Sans font, is not installed")
    fonts = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
    return fonts / "DejaVuSans.ttf", fonts / "DejaVuSans-Bold.ttf"


def printable(text: str) -> str:
    """The text with a tab as a space and any character the fonts lack as U+FFFD (an emoji, say),
    so nothing goes missing silently (nor gets logged by fpdf2 as missing)."""
    return OUTSIDE.sub("\ufffd", unicodedata.normalize("NFC", text).replace("\t", " "))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_iap_pdf(plan: AssembledIap, locale: str) -> bytes:
    """The plan as an A4 PDF in the reader's language; a parent's plan as a parent's copy."""
    return PlanDocument(plan, supported(locale)).render()


class PlanPdf(FPDF):
    """A4 pages with a footer naming the plan, the page and when it was printed."""

    def __init__(self, footer_text: Callable[[int], str]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        regular, bold = font_files()
        self.add_font(FONT, "", regular, unicode_range=RANGES)
        self.add_font(FONT, "B", bold, unicode_range=RANGES)
        self.set_margins(MARGIN, 15, MARGIN)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        text = printable(self.footer_text(self.page_no()))
        if (width := self.get_string_width(text)) > self.epw:  # a very long name
            self.set_font_size(8 * self.epw / width)
        self.cell(0, 4, text, align="C")


class PlanDocument:
    """Lays out one plan: header, numbered sections, tables, and the signature lines."""

    def __init__(self, plan: AssembledIap, locale: str) -> None:
        self.plan = plan
        self.locale = locale
        self.staff = not plan.parent_view
        self._ = partial(gettext, locale=locale)
        self.sections = 0
        self.pdf = PlanPdf(self.footer)
        self.pdf.set_title(self._("Individual support plan"))
        self.pdf.set_lang(locale)
        self.pdf.set_creator("Pumpurs")

    def footer(self, page: int) -> str:
        return self._(
            "IAP No. {id} · {name} · printed {date} · page {page} of {pages}",
            id=self.plan.iap_id,
            name=shorten(f"{self.plan.first_name} {self.plan.last_name}", FOOTER_NAME),
            date=short_date(today(), self.locale),
            page=page,
            pages=self.pdf.str_alias_nb_pages,
        )

    def render(self) -> bytes:
        self.pdf.add_page()
        self.header()
        self.student_and_school()
        self.consent()
        self.risks()
        self.measures()
        self.evaluation()
        self.approvals()
        self.history()
        self.signatures()
        return bytes(self.pdf.output())

    # Building blocks

    def text(self, text: str, size: float = 10, style: str = "", align: str = "L") -> None:
        self.pdf.set_font(FONT, style, size)
        self.pdf.set_text_color(*TEXT)
        self.pdf.multi_cell(
            0, size * 0.5, printable(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def section(self, title: str, room: float = 30) -> None:
        """A numbered section heading, on a new page when there is no room for it and a little
        of what follows."""
        self.sections += 1
        if self.pdf.will_page_break(room):
            self.pdf.add_page()
        self.pdf.ln(4)
        self.text(f"{self.sections}. {title}", size=12, style="B")
        self.pdf.ln(1.5)

    def table(
        self, widths: Sequence[float], rows: list[list[str]], headings: list[str] | None = None
    ) -> None:
        """Rows of text that wrap in their cells; headings repeat on every page the table spans."""
        self.pdf.set_font(FONT, "", 9)
        self.pdf.set_text_color(*TEXT)
        self.pdf.set_draw_color(160, 160, 160)
        with self.pdf.table(
            col_widths=tuple(widths),
            first_row_as_headings=headings is not None,
            headings_style=HEADINGS,
            line_height=4.6,
            text_align="LEFT",
            v_align="TOP",
            padding=(1.2, 1.5),
        ) as table:
            for cells in ([headings] if headings else []) + rows:
                row = table.row()
                for cell in cells:
                    row.cell(printable(cell))

    def fields(self, pairs: list[tuple[str, str]]) -> None:
        """A two-column table: label (bold) and value."""
        self.pdf.set_font(FONT, "", 9)
        self.pdf.set_text_color(*TEXT)
        self.pdf.set_draw_color(160, 160, 160)
        with self.pdf.table(
            col_widths=(32, 68),
            first_row_as_headings=False,
            line_height=4.6,
            text_align="LEFT",
            v_align="TOP",
            padding=(1.2, 1.5),
        ) as table:
            for label, value in pairs:
                row = table.row()
                row.cell(printable(label), style=BOLD)
                row.cell(printable(value))

    # Sections

    def header(self) -> None:
        _ = self._
        self.pdf.set_font(FONT, "", 8.5)
        self.pdf.set_text_color(*MUTED)
        project = _(
            "Project No. {number} “{name}” (PuMPuRS)",
            number=PROJECT_NUMBER,
            name=gettext(PROJECT_NAME, "lv"),
        )
        self.pdf.multi_cell(0, 4, project, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1.5)
        self.pdf.set_draw_color(*MUTED)
        y = self.pdf.get_y()
        self.pdf.line(MARGIN, y, self.pdf.w - MARGIN, y)
        self.pdf.ln(6)
        self.text(_("Individual support plan"), size=17, style="B", align="C")
        self.pdf.ln(1)
        subtitle = semester_text(self.plan.semester, self.locale)
        subtitle += " · " + _("IAP No. {id}", id=self.plan.iap_id)
        self.text(subtitle, size=10.5, align="C")
        self.pdf.ln(2)

    def student_and_school(self) -> None:
        _, plan = self._, self.plan
        self.section(_("Student and school"))
        pairs = [
            (_("Student"), f"{plan.first_name} {plan.last_name}"),
            (_("Class"), plan.class_name),
            (_("School"), plan.school_name),
            (_("Semester"), semester_text(plan.semester, self.locale)),
            (_("Plan status"), IAP_STATUSES[plan.status].text(self.locale) if plan.status else ""),
        ]
        if plan.pause_reason:
            pairs.append((_("Reason for the pause"), plan.pause_reason))
        if plan.continued_from_id:
            pairs.append((_("Continues the plan"), _("IAP No. {id}", id=plan.continued_from_id)))
        if plan.preparer_name:
            pairs.append((_("Prepared by"), plan.preparer_name))
        self.fields(pairs)

    def consent(self) -> None:
        _, plan, locale = self._, self.plan, self.locale
        self.section(_("Consent"))
        pairs = [(_("Consent"), CONSENT_STATES[plan.consent].text(locale))]
        if plan.consent_method:
            pairs.append((_("Method"), CONSENT_METHODS[plan.consent_method].text(locale)))
        if plan.consent_signed_on:
            pairs.append((_("Form dated"), short_date(plan.consent_signed_on, locale)))
        if plan.consent_recorded_at:
            pairs.append((_("Recorded"), date_time(plan.consent_recorded_at, locale)))
        if self.staff and plan.consent_recorded_by:
            pairs.append((_("Recorded by"), plan.consent_recorded_by))
        self.fields(pairs)

    def risks(self) -> None:
        _, plan, locale = self._, self.plan, self.locale
        self.section(_("Identified risks"))
        if not plan.risks:
            self.text(_("None recorded this semester."), size=9.5)
            return
        rows = []
        for risk in plan.risks:
            counts = ngettext("{n} signal", "{n} signals", risk.signals, locale)
            if risk.lessons_missed is not None:
                counts += ", " + ngettext(
                    "{n} lesson missed", "{n} lessons missed", risk.lessons_missed, locale
                )
            period = date_range(risk.first_seen, risk.last_seen, locale)
            rows.append(
                [
                    RISK_GROUPS[risk.group].text(locale),
                    RISK_FACTORS[risk.factor].text(locale),
                    RISK_LEVELS[risk.level].text(locale),
                    counts,
                    period,
                ]
            )
        headings = [_("Risk group"), _("Risk factor"), _("Level"), _("Signals"), _("Observed")]
        self.table((24, 22, 13, 20, 21), rows, headings)
        # Per risk group, group code -> text, where the assembled plan carries them.
        justifications = getattr(plan, "risk_justifications", None)
        if isinstance(justifications, dict) and any(justifications.values()):
            self.pdf.ln(2)
            rows = [
                [RISK_GROUPS[group].text(locale) if group in RISK_GROUPS else group, text]
                for group, text in justifications.items()
                if text
            ]
            self.table((30, 70), rows, [_("Risk group"), _("Justification")])

    def measures(self) -> None:
        _, plan = self._, self.plan
        self.section(_("Support measures"))
        if not plan.measures:
            self.text(_("No measures planned yet."), size=9.5)
            return
        rows = [
            [
                str(index),
                measure_subject(measure, self.locale),
                ", ".join(RISK_FACTORS[f].text(self.locale) for f in measure.risk_factors),
                self.planned(measure),
                self.realised(measure),
            ]
            for index, measure in enumerate(plan.measures, start=1)
        ]
        headings = [_("No."), _("Measure"), _("Linked risks"), _("Planned"), _("Delivered")]
        self.table((6, 23, 26, 17, 28), rows, headings)

    def planned(self, measure: MeasureLine) -> str:
        if measure.kind == "consultation":
            return self._("{hours} h", hours=number(measure.planned, self.locale))
        months = int(measure.planned)
        return ngettext("{n} month", "{n} months", months, self.locale)

    def realised(self, measure: MeasureLine) -> str:
        locale = self.locale
        if measure.kind == "consultation":
            sessions = ngettext("{n} session", "{n} sessions", measure.sessions, locale)
            return sessions + self._(", {hours} h", hours=number(measure.hours, locale))
        months = measure.months_confirmed
        text = ngettext("{n} month", "{n} months", len(months), locale)
        if months:
            text += ": " + month_names(months, locale)
        return text

    def evaluation(self) -> None:
        _, plan = self._, self.plan
        if not plan.evaluation and plan.continues is None:
            return
        self.section(_("Evaluation at the end of the semester"))
        pairs = []
        if plan.evaluation:
            pairs.append((_("Evaluation"), plan.evaluation))
        if plan.continues is not None:
            pairs.append((_("Continues next semester"), _("Yes") if plan.continues else _("No")))
        self.fields(pairs)

    def steps(self) -> list[str]:
        """The approval chain of this plan's school: no municipality for a state vocational one."""
        codes = APPROVAL_STEPS.codes()
        return [c for c in codes if not (c == "municipality" and self.plan.state_vocational)]

    def approvals(self) -> None:
        _, plan, locale = self._, self.plan, self.locale
        self.section(_("Approval"))
        signed = dict(plan.approvals)
        rows = [
            [
                APPROVAL_STEPS[step].text(locale),
                plan.approvers.get(step, "") if step in signed else _("not signed yet"),
                date_time(signed[step], locale) if step in signed else "",
            ]
            for step in self.steps()
        ]
        self.table((35, 40, 25), rows, [_("Step"), _("Signed by"), _("Date")])

    def history(self) -> None:
        _, plan, locale = self._, self.plan, self.locale
        if not plan.history:
            return
        self.section(_("Status history"))
        headings = [_("Date"), _("Status")]
        rows = [
            [date_time(line.at, locale), IAP_STATUSES[line.to_status].text(locale)]
            for line in plan.history
        ]
        if not self.staff:
            self.table((25, 75), rows, headings)
            return
        for row, line in zip(rows, plan.history, strict=True):
            row.append(line.comment or "")
        self.table((22, 22, 56), rows, headings + [_("Comment")])

    def signatures(self) -> None:
        _, plan = self._, self.plan
        names = {"preparer": plan.preparer_name, **plan.approvers}
        labels = {
            "preparer": _("Plan preparer"),
            "school": _("School director or coordinator"),
            "municipality": _("Municipality coordinator"),
        }
        signers = [(labels[step], names.get(step) or "") for step in self.steps()]
        adult = plan.consent_method == ADULT_STUDENT
        signers.append(
            (
                _("Student (of age)") if adult else _("Parent or legal guardian"),
                f"{plan.first_name} {plan.last_name}" if adult else "",
            )
        )
        block = 16 * len(signers) + 12
        self.section(_("Signatures"), room=block)
        for role, name in signers:
            self.signature_line(role, name)

    def signature_line(self, role: str, name: str) -> None:
        """The role; then the name (when known), the signature and the date, each on a line."""
        pdf, _ = self.pdf, self._
        width = pdf.w - 2 * MARGIN
        columns = (
            (0, 0.44, _("Name, surname")),
            (0.5, 0.26, _("Signature")),
            (0.82, 0.18, _("Date")),
        )
        pdf.ln(3)
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_text_color(*TEXT)
        pdf.multi_cell(0, 4.8, role, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        pdf.ln(2)
        pdf.multi_cell(width * 0.44, 5, printable(name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y = pdf.get_y()
        pdf.set_draw_color(*MUTED)
        for start, share, _caption in columns:
            pdf.line(MARGIN + width * start, y, MARGIN + width * (start + share), y)
        pdf.set_y(y + 0.5)
        pdf.set_text_color(*MUTED)
        pdf.set_font(FONT, "", 7.5)
        for start, share, caption in columns:
            pdf.set_x(MARGIN + width * start)
            pdf.cell(width * share, 3.5, caption)
        pdf.ln(4)
