"""The weekly digest's delivery: one outbox item per coordinator and week, however often asked."""

from datetime import date, datetime

from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.digest import MUNICIPALITY, SCHOOL, Scope, Week
from core.services import outbox
from storage.models import Membership


def coordinator_scope(membership: Membership) -> Scope:
    if membership.role == SCHOOL_COORDINATOR and membership.school_id is not None:
        return Scope(SCHOOL, membership.school_id)
    if membership.municipality_id is not None:
        return Scope(MUNICIPALITY, membership.municipality_id)
    raise ValueError(f"membership {membership.id} is not a coordinator's")


async def enqueue_weekly_digests(week: Week, now: datetime | None = None) -> int:
    """Queue the digest of `week` for every coordinator; how many coordinators there are.

    The outbox's dedupe key (week and scope) makes a second run, or a second instance running
    at the same time, add nothing.
    """
    memberships = await Membership.filter(
        role__in=(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR)
    ).order_by("id")
    for membership in memberships:
        scope = coordinator_scope(membership)
        await outbox.enqueue(
            membership.person_id,
            outbox.WEEKLY_DIGEST,
            payload_for(scope, week),
            respect_quiet_hours=True,
            now=now,
            dedupe_key=f"{week.start.isoformat()}:{scope}",
        )
    return len(memberships)


def payload_for(scope: Scope, week: Week) -> dict[str, int]:
    """Ids and numbers only: the scope and the week's Monday as an ordinal."""
    return {f"{scope.kind}_id": scope.id, "week": week.start.toordinal()}


def scope_and_week(payload: dict[str, int]) -> tuple[Scope, Week]:
    kind = SCHOOL if "school_id" in payload else MUNICIPALITY
    return Scope(kind, payload[f"{kind}_id"]), Week(date.fromordinal(payload["week"]))
