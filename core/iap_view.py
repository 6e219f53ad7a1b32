"""An assembled IAP for readers: a JSON-ready dict with labels, and a readable text."""

from functools import partial
from typing import Any

from core.catalogues import (
    APPROVAL_STEPS,
    CONSENT_METHODS,
    CONSENT_STATES,
    EARLY_LEAVING_REASONS,
    IAP_STATUSES,
    MEASURE_REALISED,
    NEED_STATUSES,
    OUTCOMES,
    RISK_FACTORS,
    RISK_GROUPS,
    RISK_LEVELS,
    RISK_OUTCOMES,
    SPECIALIST_TYPES,
    SUPPORT_TYPES,
    Catalogue,
)
from core.formatting import (
    date_range,
    date_time,
    month_names,
    number,
    semester_text,
    short_date,
)
from core.i18n import N_, gettext, ngettext
from core.iap import AssembledIap, Gap, MeasureLine, RiskLine
from core.markup import bold, html_lines

GAP_TEXTS = {
    "no_plan": N_("At risk, but no plan this semester"),
    "consent_missing": N_("The parent's consent is missing"),
    "risk_without_measure": N_("No measure addresses: {what}"),
    "measure_not_realised": N_("Nothing realised yet: {what}"),
    "no_risks": N_("No risk is named"),
    "justification_missing": N_("No justification for: {what}"),
    "amount_missing": N_("No hours or months planned: {what}"),
}


def measure_subject(measure: MeasureLine, locale: str) -> str:
    """Who gives the measure (a specialist type) or what it is (a support type)."""
    if measure.kind == "consultation":
        return SPECIALIST_TYPES[measure.specialist_type].text(locale)
    return SUPPORT_TYPES[measure.support_type].text(locale)


def outcome_text(outcome: str, reason: str | None, locale: str) -> str:
    """E.g. `Left education early (Moved abroad)`."""
    what = OUTCOMES[outcome].text(locale)
    if reason:
        what += f" ({EARLY_LEAVING_REASONS[reason].text(locale)})"
    return what


def gap_text(gap: Gap, locale: str) -> str:
    what = ""
    if gap.kind == "risk_without_measure":
        what = RISK_FACTORS[gap.code].text(locale)
    elif gap.kind == "justification_missing":
        what = RISK_GROUPS[gap.code].text(locale)
    elif gap.kind in ("measure_not_realised", "amount_missing"):
        catalogue = SPECIALIST_TYPES if gap.code in SPECIALIST_TYPES else SUPPORT_TYPES
        what = catalogue[gap.code].text(locale)
    return gettext(GAP_TEXTS[gap.kind], locale, what=what)


def consent_lines(plan: AssembledIap, locale: str) -> list[str]:
    """How the consent (or refusal) was given, and when and by whom it was recorded."""
    if plan.consent_method is None:
        return []
    _ = partial(gettext, locale=locale)
    how = CONSENT_METHODS[plan.consent_method].text(locale)
    if plan.consent_signed_on is not None:
        how = _(
            "{how}; form dated {date}", how=how, date=short_date(plan.consent_signed_on, locale)
        )
    lines = [_("How: {how}", how=how)]
    if plan.consent_recorded_at is not None:
        when = date_time(plan.consent_recorded_at, locale)
        if plan.consent_recorded_by:
            lines.append(_("Recorded by {name}, {when}", when=when, name=plan.consent_recorded_by))
        else:
            lines.append(_("Recorded {when}", when=when))
    return lines


def iap_to_dict(plan: AssembledIap, locale: str) -> dict[str, Any]:
    """The plan with codes and, beside each, its label in the reader's language."""

    def coded(catalogue: Catalogue[Any], code: str | None) -> dict[str, str] | None:
        return None if code is None else {"code": code, "label": catalogue[code].text(locale)}

    return {
        "student": {
            "id": plan.student_id,
            "first_name": plan.first_name,
            "last_name": plan.last_name,
            "class": plan.class_name,
            "school": {"id": plan.school_id, "name": plan.school_name},
        },
        "semester": plan.semester.label,
        "semester_label": semester_text(plan.semester, locale),
        "iap_id": plan.iap_id,
        "status": coded(IAP_STATUSES, plan.status),
        "consent": coded(CONSENT_STATES, plan.consent),
        "consent_record": None
        if plan.consent_method is None
        else {
            "method": coded(CONSENT_METHODS, plan.consent_method),
            "signed_on": plan.consent_signed_on.isoformat() if plan.consent_signed_on else None,
            "recorded_at": plan.consent_recorded_at.isoformat()
            if plan.consent_recorded_at
            else None,
            "recorded_by": plan.consent_recorded_by,
        },
        "approvals": [
            {"step": coded(APPROVAL_STEPS, step), "at": at.isoformat()}
            for step, at in plan.approvals
        ],
        "pause_reason": plan.pause_reason,
        "evaluation": plan.evaluation,
        "risk_outcome": coded(RISK_OUTCOMES, plan.risk_outcome),
        "continues": plan.continues,
        "continued_from": plan.continued_from_id,
        "outcome": coded(OUTCOMES, plan.outcome),
        "outcome_reason": coded(EARLY_LEAVING_REASONS, plan.outcome_reason),
        "risks": [
            {
                "group": coded(RISK_GROUPS, risk.group),
                "factor": coded(RISK_FACTORS, risk.factor),
                "level": coded(RISK_LEVELS, risk.level),
                "first_seen": risk.first_seen.isoformat(),
                "last_seen": risk.last_seen.isoformat(),
                "signals": risk.signals,
                "lessons_missed": risk.lessons_missed,
                "addressed": risk.addressed,
                "from_signals": risk.from_signals,
            }
            for risk in plan.risks
        ],
        "justifications": [
            {"group": coded(RISK_GROUPS, group), "text": text}
            for group, text in _in_group_order(plan.justifications)
        ],
        "measures": [
            {
                "id": m.id,
                "kind": m.kind,
                "label": measure_subject(m, locale),
                "specialist_type": m.specialist_type,
                "support_type": m.support_type,
                "risk_factors": [coded(RISK_FACTORS, f) for f in m.risk_factors],
                "planned": float(m.planned),
                "months": m.months,
                "unit": "hours" if m.kind == "consultation" else "months",
                "sessions": m.sessions,
                "hours": float(m.hours),
                "months_confirmed": m.months_confirmed,
                "realised": float(m.realised),
                "evaluation": None
                if m.rating is None
                else {"realised": coded(MEASURE_REALISED, m.rating), "note": m.evaluation_note},
            }
            for m in plan.measures
        ],
        "sessions": [
            {
                "specialist_type": coded(SPECIALIST_TYPES, s.specialist_type),
                "sessions": s.sessions,
                "hours": float(s.hours),
            }
            for s in plan.sessions
        ],
        "needs": [
            {
                "id": n.id,
                "support_type": coded(SUPPORT_TYPES, n.support_type),
                "status": coded(NEED_STATUSES, n.status),
                "months": n.months,
                "details": n.details,
            }
            for n in plan.needs
        ],
        "gaps": [
            {"kind": gap.kind, "code": gap.code, "text": gap_text(gap, locale)} for gap in plan.gaps
        ],
        "history": [
            {
                "from": coded(IAP_STATUSES, h.from_status),
                "to": coded(IAP_STATUSES, h.to_status),
                "at": h.at.isoformat(),
                "comment": h.comment,
            }
            for h in plan.history
        ],
    }


def _in_group_order(justifications: dict[str, str]) -> list[tuple[str, str]]:
    return [(g, justifications[g]) for g in RISK_GROUPS.codes() if g in justifications]


def risk_text(risk: RiskLine, locale: str) -> str:
    """One identified risk: factor, group, level and what the signals show (or who named it)."""
    _ = partial(gettext, locale=locale)
    factor = RISK_FACTORS[risk.factor].text(locale)
    group = RISK_GROUPS[risk.group].text(locale)
    if not risk.from_signals:
        return _(
            "• {factor} ({group}): named by the preparer on {date}",
            factor=factor,
            group=group,
            date=short_date(risk.first_seen, locale),
        )
    counts = ngettext("{n} signal", "{n} signals", risk.signals, locale)
    if risk.lessons_missed is not None:
        counts += ", " + ngettext(
            "{n} lesson missed", "{n} lessons missed", risk.lessons_missed, locale
        )
    return _(
        "• {factor} ({group}): {level}; {counts}; {period}",
        factor=factor,
        group=group,
        level=RISK_LEVELS[risk.level].text(locale),
        counts=counts,
        period=date_range(risk.first_seen, risk.last_seen, locale),
    )


def measure_text(measure: MeasureLine, locale: str) -> str:
    """One measure, planned against realised: `• Psychologist: 6 h planned / 2 sessions, 1.5 h`."""
    _ = partial(gettext, locale=locale)
    if measure.kind == "consultation":
        realised = ngettext("{n} session", "{n} sessions", measure.sessions, locale) + _(
            ", {hours} h", hours=number(measure.hours, locale)
        )
        planned = _("{hours} h planned", hours=number(measure.planned, locale))
    else:
        realised = ngettext(
            "{n} month confirmed", "{n} months confirmed", len(measure.months_confirmed), locale
        )
        planned = ngettext("{n} month planned", "{n} months planned", int(measure.planned), locale)
        if measure.months:
            planned += f" ({month_names(measure.months, locale)})"
    return f"• {measure_subject(measure, locale)}: {planned} / {realised}"


def render_iap(plan: AssembledIap, locale: str, blockers: list[Gap] | None = None) -> str:
    """The plan as a readable message in Telegram HTML, in sections, in the reader's language:
    the student's name and the section headings in bold, every stored text escaped.

    Given `blockers` (for the preparer of a draft), what stops sending it for approval is
    listed, numbered, in place of what is missing.
    """
    _ = partial(gettext, locale=locale)
    lines = [
        bold(_("Support plan (IAP): {name}", name=f"{plan.first_name} {plan.last_name}")),
        _("Class {name}, {school}", name=plan.class_name, school=plan.school_name),
        _("Semester: {semester}", semester=semester_text(plan.semester, locale)),
    ]
    if plan.status is None:
        lines.append(_("Status: no plan yet"))
    else:
        lines.append(_("Status: {status}", status=IAP_STATUSES[plan.status].text(locale)))
        lines.append(CONSENT_STATES[plan.consent].text(locale))
        lines += ["  " + line for line in consent_lines(plan, locale)]
    if plan.pause_reason:
        lines.append(_("Paused because: {reason}", reason=plan.pause_reason))
    if plan.evaluation:
        lines.append(_("Evaluation: {text}", text=plan.evaluation))
    if plan.risk_outcome:
        lines.append(RISK_OUTCOMES[plan.risk_outcome].text(locale))
    if plan.outcome:
        outcome = outcome_text(plan.outcome, plan.outcome_reason, locale)
        lines.append(_("Outcome of the semester: {outcome}", outcome=outcome))

    lines += ["", bold(_("Identified risks:"))]
    if not plan.risks:
        lines.append("  " + _("none recorded this semester"))
    lines += [risk_text(risk, locale) for risk in plan.risks]
    if plan.justifications:
        lines += ["", bold(_("Justification by risk group:"))]
    for group, text in _in_group_order(plan.justifications):
        lines.append(f"• {RISK_GROUPS[group].text(locale)}: {text}")

    if plan.measures:
        lines += ["", bold(_("Measures (planned / realised):"))]
    for measure in plan.measures:
        lines.append(measure_text(measure, locale))
        if measure.rating:
            rating = MEASURE_REALISED[measure.rating].text(locale)
            note = f" ({measure.evaluation_note})" if measure.evaluation_note else ""
            lines.append(f"  {rating}{note}")

    if plan.sessions:
        lines += ["", bold(_("Consultations this semester:"))]
    for line in plan.sessions:
        lines.append(
            "• "
            + SPECIALIST_TYPES[line.specialist_type].text(locale)
            + ": "
            + ngettext("{n} session", "{n} sessions", line.sessions, locale)
            + _(", {hours} h", hours=number(line.hours, locale))
        )

    if plan.needs:
        lines += ["", bold(_("Material support:"))]
    for need in plan.needs:
        text = f"• {SUPPORT_TYPES[need.support_type].text(locale)}: "
        text += NEED_STATUSES[need.status].text(locale)
        if need.months:
            text += _(" (months: {months})", months=month_names(need.months, locale))
        lines.append(text)

    if blockers is not None:
        lines += ["", bold(_("Before it can be sent for approval:"))]
        lines += [f"{n}. {gap_text(gap, locale)}" for n, gap in enumerate(blockers, 1)]
        if not blockers:
            lines.append("  " + _("nothing is missing: it can be sent for approval."))
    elif plan.gaps:
        lines += ["", bold(_("What is missing:"))]
        lines += [f"• {gap_text(gap, locale)}" for gap in plan.gaps]

    if plan.history:
        lines += ["", bold(_("History:"))]
    for step in plan.history:
        text = f"• {date_time(step.at, locale)}: {IAP_STATUSES[step.to_status].text(locale)}"
        if step.comment:
            text += f" ({step.comment})"
        lines.append(text)
    return html_lines(lines)
