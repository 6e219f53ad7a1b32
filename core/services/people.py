"""People: invites, joining by invite, API tokens, a person's language."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, actor_of, coordinated_school, coordinated_student, load_actor
from core.catalogues import (
    MUNICIPALITY_COORDINATOR,
    PARENT,
    PROGRAMME_ADMIN,
    ROLES,
    SCHOOL_COORDINATOR,
    SPECIALIST,
    SPECIALIST_TYPES,
    TEACHER,
    VOLUNTEER,
)
from core.clock import now
from core.errors import AccessDenied, InvalidInput, NotFound
from core.i18n import LOCALES, N_, supported
from core.person_changes import person_changed
from core.services import needs
from core.text import lenient_line
from storage.models import (
    ApiToken,
    Invite,
    Membership,
    Municipality,
    Ngo,
    Person,
    School,
    Student,
)

INVITE_DAYS = 7
MAX_INVITE_DAYS = 30
TOKEN_DAYS = 90  # an API token's default lifetime
MAX_TOKEN_DAYS = 365
TOKEN_USE_PRECISION = timedelta(hours=1)  # last use is written at most once an hour


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# The programme administrator invites the first coordinators of schools and municipalities,
# the first volunteers of organisations and other administrators; the rest is the coordinators'.
ADMIN_INVITES = (SCHOOL_COORDINATOR, MUNICIPALITY_COORDINATOR, VOLUNTEER, PROGRAMME_ADMIN)


@dataclass(frozen=True)
class IssuedInvite:
    code: str  # shown once; only its hash is stored
    invite: Invite


async def create_invite(
    actor: Actor | None,
    role: str,
    *,
    school_id: int | None = None,
    municipality_id: int | None = None,
    ngo_id: int | None = None,
    student_id: int | None = None,
    specialty: str | None = None,
    valid_days: int = INVITE_DAYS,
) -> IssuedInvite:
    """Issue a one-time invite. `actor` None is the operator at the command line."""
    if role not in ROLES:
        raise InvalidInput(N_("Unknown role."))
    if not 1 <= valid_days <= MAX_INVITE_DAYS:
        raise InvalidInput(N_("An invite is valid for 1 to {days} days."), days=MAX_INVITE_DAYS)
    scope = await _invite_scope(actor, role, school_id, municipality_id, ngo_id, student_id)
    if role == SPECIALIST and specialty not in SPECIALIST_TYPES:
        raise InvalidInput(N_("Choose the specialist type."))
    if role == TEACHER:
        specialty = "teacher"
    elif role != SPECIALIST:
        specialty = None
    code = secrets.token_urlsafe(18)
    async with in_transaction():
        invite = await Invite.create(
            code_hash=_hash(code),
            role=role,
            specialty=specialty,
            created_by_id=actor.id if actor else None,
            expires_at=now() + timedelta(days=valid_days),
            **scope,
        )
        await audit.record(actor.id if actor else None, "invite.create", "invite", invite.id)
    return IssuedInvite(code, invite)


async def _invite_scope(
    actor: Actor | None,
    role: str,
    school_id: int | None,
    municipality_id: int | None,
    ngo_id: int | None,
    student_id: int | None,
) -> dict[str, Any]:
    """Check the invite names the scope its role needs, within the issuer's own scope."""
    if actor is not None and actor.is_programme_admin and role in ADMIN_INVITES:
        actor = None  # national: any school, municipality or organisation
    if role == PROGRAMME_ADMIN:
        if actor is not None:
            raise AccessDenied()
        return {}
    if actor is not None and not actor.is_coordinator:
        raise AccessDenied()
    if role in (TEACHER, SPECIALIST, SCHOOL_COORDINATOR):
        if school_id is None:
            raise InvalidInput(N_("Choose the school."))
        if actor is None:
            if not await School.exists(id=school_id):
                raise NotFound()
        else:
            school = await coordinated_school(actor, school_id)
            if role == SCHOOL_COORDINATOR and school.municipality_id not in actor.municipality_ids:
                raise AccessDenied()
        return {"school_id": school_id}
    if role == PARENT:
        if student_id is None:
            raise InvalidInput(N_("Choose the student."))
        if actor is not None:
            await coordinated_student(actor, student_id)
        elif not await Student.exists(id=student_id):
            raise NotFound()
        return {"student_id": student_id}
    if role == VOLUNTEER:
        if ngo_id is None:
            raise InvalidInput(N_("Choose the organisation."))
        ngo = await Ngo.get_or_none(id=ngo_id)
        if ngo is None or (actor is not None and ngo.municipality_id not in actor.municipality_ids):
            raise NotFound()
        return {"ngo_id": ngo.id}
    # municipality coordinator
    if municipality_id is None:
        raise InvalidInput(N_("Choose the municipality."))
    if (actor is not None and municipality_id not in actor.municipality_ids) or (
        not await Municipality.exists(id=municipality_id)
    ):
        raise NotFound()
    return {"municipality_id": municipality_id}


async def enroll_by_invite(
    code: str,
    *,
    telegram_id: int | None,
    display_name: str,
    locale: str | None = None,
) -> Actor:
    """Redeem an invite: bind the (possibly new) person to the invite's role and scope, once."""
    invite = await Invite.get_or_none(code_hash=_hash(code.strip()))
    if invite is None:
        raise InvalidInput(N_("This invite code is not valid. Ask your coordinator for a new one."))
    if invite.used_at is not None:
        raise InvalidInput(
            N_("This invite has already been used. Ask your coordinator for a new one.")
        )
    if invite.expires_at <= now():
        raise InvalidInput(N_("This invite has expired. Ask your coordinator for a new one."))
    async with in_transaction():
        person = None
        if telegram_id is not None:
            person = await Person.get_or_none(telegram_id=telegram_id)
        if person is None:
            person = await Person.create(
                display_name=lenient_line(display_name)[:120] or "-",
                telegram_id=telegram_id,
                locale=supported(locale),
            )
        # Claim the invite atomically: of two people racing for one code, one wins.
        claimed = await Invite.filter(id=invite.id, used_at__isnull=True).update(
            used_at=now(), used_by_id=person.id
        )
        if not claimed:
            raise InvalidInput(
                N_("This invite has already been used. Ask your coordinator for a new one.")
            )
        scope: dict[str, Any] = {
            "role": invite.role,
            "specialty": invite.specialty,
            "school_id": invite.school_id,
            "municipality_id": invite.municipality_id,
            "ngo_id": invite.ngo_id,
            "student_id": invite.student_id,
        }
        membership, created = await Membership.get_or_create(person_id=person.id, **scope)
        if created:
            await audit.record(person.id, "membership.create", "membership", membership.id)
        if invite.role == PARENT and invite.student_id is not None:
            await needs.send_open_questions(person.id, invite.student_id)
    await person_changed(person.id, telegram_id)
    return await load_actor(person.id)


async def set_locale(person_id: int, locale: str) -> Person:
    if locale not in LOCALES:
        raise InvalidInput(N_("This language is not available."))
    person = await Person.get(id=person_id)
    person.locale = locale
    await person.save(update_fields=["locale"])
    await person_changed(person.id, person.telegram_id)
    return person


async def create_api_token(person_id: int, days: int = TOKEN_DAYS) -> str:
    """A new bearer token for the person, valid `days`; returned once, stored only as a hash."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(N_("A token is valid for 1 to {days} days."), days=MAX_TOKEN_DAYS)
    if not await Person.exists(id=person_id):
        raise NotFound()
    token = secrets.token_urlsafe(32)
    api_token = await ApiToken.create(
        token_hash=_hash(token), person_id=person_id, expires_at=now() + timedelta(days=days)
    )
    await audit.record(person_id, "api_token.create", "api_token", api_token.id)
    return token


async def actor_for_token(token: str) -> Actor | None:
    """The token's person, if the token is neither revoked nor expired; its use is noted hourly."""
    moment = now()
    api_token = await ApiToken.get_or_none(
        token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=moment
    )
    if api_token is None:
        return None
    if api_token.last_used_at is None or moment - api_token.last_used_at >= TOKEN_USE_PRECISION:
        await ApiToken.filter(id=api_token.id).update(last_used_at=moment)
    return await load_actor(api_token.person_id)


async def list_api_tokens() -> list[ApiToken]:
    """Every token, newest first (their hashes are no use to anyone: never shown)."""
    return await ApiToken.all().order_by("-created_at", "-id")


async def revoke_api_token(token_id: int, actor: Actor | None = None) -> ApiToken:
    """Revoke a token; `actor` None is the operator, else only one's own (others': NotFound).

    Revoking a revoked token changes nothing.
    """
    api_token = await ApiToken.get_or_none(id=token_id)
    if api_token is None or (actor is not None and api_token.person_id != actor.id):
        raise NotFound()
    if api_token.revoked_at is None:
        async with in_transaction():
            api_token.revoked_at = now()
            await api_token.save(update_fields=["revoked_at"])
            by = actor.id if actor else None
            await audit.record(by, "api_token.revoke", "api_token", token_id)
    return api_token


async def person_for_telegram(telegram_id: int) -> Actor | None:
    person = await Person.get_or_none(telegram_id=telegram_id)
    return await actor_of(person) if person else None


LOCAL_CHAT_IDS = 900_000_000  # fictional Telegram ids for `pumpurs chat`, far from real ones


async def local_chat_identity(role: str) -> Person | None:
    """The first person holding `role`, given a local Telegram id if they have none."""
    membership = await Membership.filter(role=role).order_by("id").first()
    if membership is None:
        return None
    person = await Person.get(id=membership.person_id)
    if person.telegram_id is None:
        person.telegram_id = LOCAL_CHAT_IDS + person.id
        await person.save(update_fields=["telegram_id"])
        await audit.record(person.id, "person.local_chat", "person", person.id)
        await person_changed(person.id, person.telegram_id)
    return person


async def mark_reachable(person_id: int) -> None:
    """The person wrote to the bot again: they can be reached after all."""
    if await Person.filter(id=person_id, unreachable=True).update(unreachable=False):
        await person_changed(person_id)


async def set_quiet_hours(person_id: int, start_minute: int | None, end_minute: int | None) -> None:
    """Own quiet hours in minutes after midnight, Riga time; None for both: the default."""
    if (start_minute is None) != (end_minute is None):
        raise InvalidInput(N_("Give both the start and the end of the quiet hours."))
    for minute in (start_minute, end_minute):
        if minute is not None and not 0 <= minute < 24 * 60:
            raise InvalidInput(N_("Quiet hours are times of day, from 00:00 to 23:59."))
    await Person.filter(id=person_id).update(
        quiet_start_minute=start_minute, quiet_end_minute=end_minute
    )
    await audit.record(person_id, "person.quiet_hours", "person", person_id)
    await person_changed(person_id)
