"""Privacy: API tokens expire and record when they were last used; audit events are found by
the record they concern (a student's access log); a student records when they joined the roster
(for retention) and when their personal data was erased.

A token issued before this migration expires 90 days after it was created; a student already on
the roster counts as added when the migration runs (retention starts then: never earlier).
"""

from datetime import UTC, datetime, timedelta

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

TOKEN_DAYS = 90  # a fixed number here: history must not change with the code's default


async def expire_existing_tokens(apps, schema_editor) -> None:
    tokens = apps.get_model("models", "ApiToken")
    for token in await tokens.all().using_db(schema_editor.client):
        await (
            tokens.filter(id=token.id)
            .using_db(schema_editor.client)
            .update(expires_at=token.created_at + timedelta(days=TOKEN_DAYS))
        )


async def students_added_now(apps, schema_editor) -> None:
    students = apps.get_model("models", "Student")
    await students.all().using_db(schema_editor.client).update(created_at=datetime.now(UTC))


class Migration(migrations.Migration):
    dependencies = [("models", "0005_need_askers")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ApiToken",
            name="expires_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="ApiToken",
            name="last_used_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(expire_existing_tokens, ops.RunPython.noop),
        ops.AlterField(
            model_name="ApiToken",
            name="expires_at",
            field=fields.DatetimeField(auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name="AuditEvent",
            index=Index(fields=["entity", "entity_id"]),
        ),
        ops.AddField(
            model_name="Student",
            name="created_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=True),
        ),
        ops.RunPython(students_added_now, ops.RunPython.noop),
        ops.AddField(
            model_name="Student",
            name="erased_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
