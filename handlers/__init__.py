"""One aiogram Router per role or flow: parse input, call core, render the reply."""

from aiogram import Router

from handlers import (
    absences,
    activities,
    approvals,
    common,
    consultations,
    digest,
    fallback,
    iap_search,
    invites,
    needs,
    outcomes,
    plan_measures,
    plan_pdf,
    plan_status,
    plans,
    report,
    risk,
    students,
)


def root_router() -> Router:
    """A fresh tree of every router; the fallback comes last."""
    root = Router(name="root")
    root.include_routers(
        common.create_router(),
        absences.create_router(),
        risk.create_router(),
        consultations.create_router(),
        students.create_router(),
        plans.create_router(),
        plan_measures.create_router(),
        needs.create_router(),
        activities.create_router(),
        invites.create_router(),
        approvals.create_router(),
        plan_status.create_router(),
        iap_search.create_router(),
        digest.create_router(),
        plan_pdf.create_router(),
        outcomes.create_router(),
        report.create_router(),
        fallback.create_router(),
    )
    return root
