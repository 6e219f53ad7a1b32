"""Consultation sessions logged by specialists."""

from datetime import date

from tortoise.transactions import in_transaction

from core import audit
from core.access import Actor, workable_student
from core.catalogues import CONSULTATION_MODES, SPECIALIST_TYPES
from core.clock import date_problem
from core.errors import InvalidInput
from core.i18n import N_
from core.text import optional_text
from storage.models import Consultation

MAX_MINUTES = 480
TOPIC_LIMIT = 500


async def log_consultation(
    actor: Actor,
    student_id: int,
    *,
    held_on: date,
    minutes: int,
    mode: str,
    specialist_type: str | None = None,
    topic: str | None = None,
    student_confirmed: bool = False,
) -> Consultation:
    student = await workable_student(actor, student_id)
    specialist_type = specialist_type or actor.specialty
    if specialist_type not in SPECIALIST_TYPES:
        raise InvalidInput(N_("Choose the specialist type."))
    if mode not in CONSULTATION_MODES:
        raise InvalidInput(N_("Choose in person or remote."))
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(N_("Give the length in minutes, from 1 to {max}."), max=MAX_MINUTES)
    if (problem := date_problem(held_on)) is not None:
        raise InvalidInput(problem)
    topic = optional_text(topic)
    if topic is not None and len(topic) > TOPIC_LIMIT:
        raise InvalidInput(N_("The topic is too long: at most {max} characters."), max=TOPIC_LIMIT)
    async with in_transaction():
        consultation = await Consultation.create(
            student_id=student.id,
            school_id=student.school_id,
            specialist_type=specialist_type,
            provider_id=actor.id,
            held_on=held_on,
            minutes=minutes,
            mode=mode,
            topic=topic,
            student_confirmed=student_confirmed,
        )
        await audit.record(actor.id, "consultation.create", "consultation", consultation.id)
    return consultation


async def list_consultations(actor: Actor, student_id: int) -> list[Consultation]:
    student = await workable_student(actor, student_id)
    await audit.read(actor.id, "student", student.id, "consultations")
    return await Consultation.filter(student_id=student.id).order_by("-held_on", "-id")
