"""The weekly digest's delivery: one outbox item per coordinator and week, however often asked;
each coordinator's chart drawn before the digests are queued, so the sender only sends."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from core.catalogues import MUNICIPALITY_COORDINATOR, SCHOOL_COORDINATOR
from core.chart import forget_old_charts, keep_all_drawn
from core.digest import MUNICIPALITY, SCHOOL, Scope, Week, coordinators_histories, read_ahead
from core.i18n import supported
from core.services import outbox
from storage.models import Membership

log = logging.getLogger(__name__)


def coordinator_scope(membership: Membership) -> Scope:
    if membership.role == SCHOOL_COORDINATOR and membership.school_id is not None:
        return Scope(SCHOOL, membership.school_id)
    if membership.municipality_id is not None:
        return Scope(MUNICIPALITY, membership.municipality_id)
    raise ValueError(f"membership {membership.id} is not a coordinator's")


async def enqueue_weekly_digests(week: Week, now: datetime | None = None) -> int:
    """Draw every coordinator's chart of `week`, then queue their digests; how many coordinators
    there are.

    The outbox's dedupe key (week and scope) makes a second run, or a second instance running
    at the same time, add nothing.
    """
    memberships = (
        await Membership.filter(role__in=(SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR))
        .select_related("person")
        .order_by("id")
    )
    await draw_charts_ahead(memberships, week)
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


async def draw_charts_ahead(memberships: list[Membership], week: Week) -> int:
    """Draw and keep the chart each coordinator's digest of `week` will carry (their people
    loaded); how many were drawn. Those not drawn are drawn when their digests are sent."""
    await forget_old_charts()
    scopes = [coordinator_scope(membership) for membership in memberships]
    try:
        histories = await coordinators_histories(scopes, until=week.start)
    except Exception as error:  # the digests still go; their charts are drawn then
        log.warning("charts of week %s: %s", week.start, type(error).__name__)
        return 0
    locales = [supported(membership.person.locale) for membership in memberships]
    return await keep_all_drawn(
        (histories[scope], locale) for scope, locale in zip(scopes, locales, strict=True)
    )


def payload_for(scope: Scope, week: Week) -> dict[str, int]:
    """Ids and numbers only: the scope and the week's Monday as an ordinal."""
    return {f"{scope.kind}_id": scope.id, "week": week.start.toordinal()}


def scope_and_week(payload: dict[str, int]) -> tuple[Scope, Week]:
    kind = SCHOOL if "school_id" in payload else MUNICIPALITY
    return Scope(kind, payload[f"{kind}_id"]), Week(date.fromordinal(payload["week"]))


async def read_digests_ahead(payloads: Iterable[dict[str, int]]) -> None:
    """Read the digests these outbox items carry together, a fixed number of queries a week
    (`core.digest.read_ahead`), for those built within `digests_read_ahead`. On any failure each
    digest is read by itself, as without: the items still go."""
    try:
        scopes: dict[Week, list[Scope]] = defaultdict(list)
        for payload in payloads:
            scope, week = scope_and_week(payload)
            scopes[week].append(scope)
        for week, week_scopes in scopes.items():
            await read_ahead(week_scopes, week)
    except Exception as error:
        log.warning("digests not read ahead: %s", type(error).__name__)
