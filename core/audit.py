"""The audit trail: one event for every write and every read of a child's data.

Codes and ids only, never free text or names. A read is `read.<what>` on the student (or, for a
school-wide list, on the school): one insert, nothing read first.
"""

from storage.models import AuditEvent

READ = "read."


async def record(person_id: int | None, action: str, entity: str, entity_id: int | None) -> None:
    await AuditEvent.create(person_id=person_id, action=action, entity=entity, entity_id=entity_id)


async def read(person_id: int | None, entity: str, entity_id: int, what: str) -> None:
    """`person_id` read `what` (plan, risk_signals, …) of a student or a school; None: operator."""
    await record(person_id, READ + what, entity, entity_id)
