"""The weekly digest for readers: a readable text in the coordinator's language, and JSON."""

from collections.abc import Iterable
from decimal import Decimal
from functools import partial
from typing import Any

from core.catalogues import IAP_STATUSES, RISK_GROUPS, SPECIALIST_TYPES, Entry
from core.digest import Activities, Digest, Figures, Week
from core.formatting import date_range, number, semester_text
from core.i18n import gettext, supported, translations
from core.markup import bold, html_lines

MAX_NAMES = 10  # unreachable people named in the text; the rest are counted


def ngettext(singular: str, plural: str, n: int, locale: str, **params: object) -> str:
    """The plural form for n, with {n} written as a number in the reader's locale (1 234)."""
    form = translations(supported(locale)).ngettext(singular, plural, n)
    return form.format(n=number(n, locale), **params)


def change(now: int | Decimal, before: int | Decimal, locale: str) -> str:
    """The change since the week before: +3, -2, ±0."""
    difference = Decimal(now) - Decimal(before)
    if not difference:
        return "±0"
    return ("+" if difference > 0 else "-") + number(abs(difference), locale)


def with_change(now: int | Decimal, before: int | Decimal, locale: str) -> str:
    """A figure and its change: 12 (+3)."""
    return f"{number(now, locale)} ({change(now, before, locale)})"


def week_text(week: Week, locale: str) -> str:
    return date_range(week.start, week.end, locale)


def render_digest(digest: Digest, locale: str) -> str:
    """The digest as a message in Telegram HTML: what needs the reader first, then the week,
    then each school; its title and headings in bold, names escaped."""
    _ = partial(gettext, locale=locale)
    semester = semester_text(digest.semester, locale)
    urgent = _urgent_lines(digest, locale)
    lines = [
        bold(_("Weekly digest: {name}", name=digest.name)),
        _("Week: {dates}", dates=week_text(digest.week, locale)),
        _("Semester: {semester}", semester=semester),
        "",
        bold(_("Needs your attention:")),
        *(urgent or ["• " + _("Nothing urgent.")]),
        "",
        bold(_("The week, with the change since the week before:")),
        *_week_lines(digest.figures, digest.previous, locale),
    ]
    if digest.schools:
        lines += ["", bold(_("By school:"))]
        lines += [
            _school_line(school.name, school.figures, school.previous, locale)
            for school in digest.schools
        ]
    return html_lines(lines)


def _urgent_lines(digest: Digest, locale: str) -> list[str]:
    """Plans waiting for the reader, students without a plan, people out of reach, needs."""
    now, before = digest.figures, digest.previous
    lines = []
    if digest.waiting_for_approval:
        lines.append(
            ngettext(
                "{n} plan is waiting for your approval",
                "{n} plans are waiting for your approval",
                len(digest.waiting_for_approval),
                locale,
            )
        )
    if now.at_risk_without_plan or before.at_risk_without_plan:
        lines.append(
            ngettext(
                "{n} student at risk has no plan this semester ({change})",
                "{n} students at risk have no plan this semester ({change})",
                now.at_risk_without_plan,
                locale,
                change=change(now.at_risk_without_plan, before.at_risk_without_plan, locale),
            )
        )
    if digest.unreachable:
        names = ", ".join(digest.unreachable[:MAX_NAMES])
        if len(digest.unreachable) > MAX_NAMES:
            names += ", …"
        lines.append(
            ngettext(
                "{n} person cannot be reached in Telegram: {names}",
                "{n} people cannot be reached in Telegram: {names}",
                len(digest.unreachable),
                locale,
                names=names,
            )
        )
    if now.needs_awaiting_parents or before.needs_awaiting_parents:
        lines.append(
            ngettext(
                "{n} material support request is awaiting the parents' answer ({change})",
                "{n} material support requests are awaiting the parents' answer ({change})",
                now.needs_awaiting_parents,
                locale,
                change=change(now.needs_awaiting_parents, before.needs_awaiting_parents, locale),
            )
        )
    return [f"• {line}" for line in lines]


def _week_lines(now: Figures, before: Figures, locale: str) -> list[str]:
    return [
        *_signal_lines(now, before, locale),
        *_plan_lines(now, before, locale),
        *_session_lines(now, before, locale),
        *_need_lines(now, before, locale),
        *_activity_lines(now.activities, before.activities, locale),
    ]


def _detail(label: str, now: int | Decimal, before: int | Decimal, locale: str) -> str:
    return f"   – {label}: {with_change(now, before, locale)}"


def _breakdown(
    catalogue: Iterable[Entry], now: dict[str, int], before: dict[str, int], locale: str
) -> list[str]:
    """A detail line per catalogue entry counted in either week, in the catalogue's order."""
    return [
        _detail(entry.text(locale), now.get(entry.code, 0), before.get(entry.code, 0), locale)
        for entry in catalogue
        if now.get(entry.code) or before.get(entry.code)
    ]


def _signal_lines(now: Figures, before: Figures, locale: str) -> list[str]:
    _ = partial(gettext, locale=locale)
    if not now.signals and not before.signals:
        return ["• " + _("No new risk signals.")]
    lines = [
        "• "
        + ngettext(
            "{n} new risk signal ({change})",
            "{n} new risk signals ({change})",
            now.signals,
            locale,
            change=change(now.signals, before.signals, locale),
        )
    ]
    lines += _breakdown(RISK_GROUPS, now.signals_by_group, before.signals_by_group, locale)
    if now.newly_at_risk or before.newly_at_risk:
        lines.append(
            "• "
            + ngettext(
                "{n} student at risk for the first time ({change})",
                "{n} students at risk for the first time ({change})",
                now.newly_at_risk,
                locale,
                change=change(now.newly_at_risk, before.newly_at_risk, locale),
            )
        )
    return lines


def _plan_lines(now: Figures, before: Figures, locale: str) -> list[str]:
    _ = partial(gettext, locale=locale)
    if not now.plans and not before.plans:
        return ["• " + _("No plans this semester yet.")]
    lines = [
        "• "
        + ngettext(
            "{n} plan this semester ({change})",
            "{n} plans this semester ({change})",
            now.plans,
            locale,
            change=change(now.plans, before.plans, locale),
        )
    ]
    return lines + _breakdown(IAP_STATUSES, now.plans_by_status, before.plans_by_status, locale)


def _session_lines(now: Figures, before: Figures, locale: str) -> list[str]:
    _ = partial(gettext, locale=locale)
    if not now.sessions and not before.sessions:
        return ["• " + _("No consultations held.")]
    lines = [
        "• "
        + ngettext(
            "{n} consultation held ({change}), {hours} h ({hours_change})",
            "{n} consultations held ({change}), {hours} h ({hours_change})",
            now.sessions,
            locale,
            change=change(now.sessions, before.sessions, locale),
            hours=number(now.hours, locale),
            hours_change=change(now.hours, before.hours, locale),
        )
    ]
    for specialist in SPECIALIST_TYPES:
        this_week = now.sessions_by_specialist.get(specialist.code)
        week_before = before.sessions_by_specialist.get(specialist.code)
        if this_week is None and week_before is None:
            continue
        sessions = this_week.sessions if this_week else 0
        hours = this_week.hours if this_week else Decimal(0)
        lines.append(
            f"   – {specialist.text(locale)}: "
            + ngettext(
                "{n} consultation ({change}), {hours} h",
                "{n} consultations ({change}), {hours} h",
                sessions,
                locale,
                change=change(sessions, week_before.sessions if week_before else 0, locale),
                hours=number(hours, locale),
            )
        )
    return lines


def _need_lines(now: Figures, before: Figures, locale: str) -> list[str]:
    if not now.needs_confirmed and not before.needs_confirmed:
        return []
    return [
        "• "
        + ngettext(
            "{n} material support request confirmed by parents ({change})",
            "{n} material support requests confirmed by parents ({change})",
            now.needs_confirmed,
            locale,
            change=change(now.needs_confirmed, before.needs_confirmed, locale),
        )
    ]


def _activity_lines(now: Activities, before: Activities, locale: str) -> list[str]:
    _ = partial(gettext, locale=locale)
    if not now.activities and not before.activities:
        return ["• " + _("No youth activities in the municipality.")]
    return [
        "• "
        + ngettext(
            "{n} youth activity in the municipality ({change})",
            "{n} youth activities in the municipality ({change})",
            now.activities,
            locale,
            change=change(now.activities, before.activities, locale),
        ),
        "   – "
        + _(
            "participants: {participants}, of them at risk: {at_risk}; hours: {hours}",
            participants=with_change(now.participants, before.participants, locale),
            at_risk=with_change(now.at_risk_participants, before.at_risk_participants, locale),
            hours=with_change(now.hours, before.hours, locale),
        ),
    ]


def _school_line(name: str, now: Figures, before: Figures, locale: str) -> str:
    return "• " + gettext(
        "{school}: new signals {signals}, without a plan {without_plan}, "
        "consultations {sessions}, hours {hours}, awaiting parents {awaiting}",
        locale,
        school=name,
        signals=with_change(now.signals, before.signals, locale),
        without_plan=with_change(now.at_risk_without_plan, before.at_risk_without_plan, locale),
        sessions=with_change(now.sessions, before.sessions, locale),
        hours=with_change(now.hours, before.hours, locale),
        awaiting=with_change(now.needs_awaiting_parents, before.needs_awaiting_parents, locale),
    )


# --- JSON ----------------------------------------------------------------------------------


def figures_to_dict(figures: Figures) -> dict[str, Any]:
    """One week's figures, every catalogue code present (zero when nothing happened)."""
    return {
        "signals": figures.signals,
        "signals_by_group": {
            code: figures.signals_by_group.get(code, 0) for code in RISK_GROUPS.codes()
        },
        "newly_at_risk": figures.newly_at_risk,
        "at_risk_without_plan": figures.at_risk_without_plan,
        "plans": figures.plans,
        "plans_by_status": {
            code: figures.plans_by_status.get(code, 0) for code in IAP_STATUSES.codes()
        },
        "sessions": figures.sessions,
        "hours": float(figures.hours),
        "sessions_by_specialist": {
            code: {"sessions": line.sessions, "hours": float(line.hours)}
            for code, line in sorted(figures.sessions_by_specialist.items())
        },
        "needs_confirmed": figures.needs_confirmed,
        "needs_awaiting_parents": figures.needs_awaiting_parents,
    }


def activities_to_dict(activities: Activities) -> dict[str, Any]:
    return {
        "activities": activities.activities,
        "participants": activities.participants,
        "at_risk_participants": activities.at_risk_participants,
        "hours": float(activities.hours),
    }


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """The digest's figures for this week and the week before, by code."""

    def week(figures: Figures) -> dict[str, Any]:
        return figures_to_dict(figures) | {
            "youth_activities": activities_to_dict(figures.activities)
        }

    previous_week = digest.week.previous()
    return {
        "scope": str(digest.scope),
        "name": digest.name,
        "week": {"start": digest.week.start.isoformat(), "end": digest.week.end.isoformat()},
        "previous_week": {
            "start": previous_week.start.isoformat(),
            "end": previous_week.end.isoformat(),
        },
        "semester": digest.semester.label,
        "figures": week(digest.figures),
        "previous": week(digest.previous),
        "waiting_for_your_approval": {
            "count": len(digest.waiting_for_approval),
            "iap_ids": digest.waiting_for_approval,
        },
        "unreachable": {"count": len(digest.unreachable), "names": digest.unreachable},
        "schools": [
            {
                "id": school.school_id,
                "name": school.name,
                "figures": figures_to_dict(school.figures),
                "previous": figures_to_dict(school.previous),
            }
            for school in digest.schools
        ],
    }
