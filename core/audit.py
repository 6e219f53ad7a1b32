"""The audit trail: one event for every write. Codes and ids only, never free text or names."""

from storage.models import AuditEvent


async def record(person_id: int | None, action: str, entity: str, entity_id: int | None) -> None:
    await AuditEvent.create(person_id=person_id, action=action, entity=entity, entity_id=entity_id)
