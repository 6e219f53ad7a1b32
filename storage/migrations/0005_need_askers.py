"""Everyone who asked the parents about a need is kept, so that each is told the answer; a
question already sent to a parent is keyed, so that it is never queued for them twice.

The first asker of each need is copied from `support_need.asked_by_id`; questions queued before
get their key from the need in their payload.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

FIRST_ASKERS = """
INSERT INTO support_need_asker (need_id, person_id, asked_at)
SELECT id, asked_by_id, created_at FROM support_need WHERE asked_by_id IS NOT NULL
"""


async def key_questions_sent(apps, editor) -> None:
    """Questions queued before carry `need:<id>` as their key, as the new ones do."""
    if editor.client.capabilities.dialect == "postgres":
        need_id = "payload->>'need_id'"
    else:
        need_id = "json_extract(payload, '$.need_id')"
    await editor.client.execute_script(
        f"UPDATE outbox SET dedupe_key = 'need:' || ({need_id})"
        " WHERE kind = 'need_question' AND dedupe_key IS NULL"
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0004_consent_evidence")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SupportNeedAsker",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "need",
                    fields.ForeignKeyField(
                        "models.SupportNeed",
                        source_field="need_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="askers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "person",
                    fields.ForeignKeyField(
                        "models.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="need_questions_asked",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("asked_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "support_need_asker",
                "app": "models",
                "unique_together": (("need", "person"),),
                "pk_attr": "id",
                "table_description": (
                    "Everyone who asked the parents about a need: each is told the answer."
                ),
            },
            bases=["Model"],
        ),
        ops.RunSQL([FIRST_ASKERS]),
        ops.RunPython(key_questions_sent),
    ]
