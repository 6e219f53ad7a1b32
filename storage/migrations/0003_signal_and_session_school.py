"""Each risk signal and consultation carries its student's school, indexed by school and date.

The column is added empty, filled from the student, then made required.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


def school_field(related_name: str, *, null: bool) -> fields.ForeignKeyField:
    return fields.ForeignKeyField(
        "models.School",
        source_field="school_id",
        db_constraint=True,
        to_field="id",
        related_name=related_name,
        on_delete=OnDelete.RESTRICT,
        null=null,
    )


def from_student(table: str) -> str:
    return (
        f"UPDATE {table} SET school_id = "
        f"(SELECT student.school_id FROM student WHERE student.id = {table}.student_id)"
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0002_outbox_parts_sent")]

    initial = False

    operations = [
        ops.AddField(
            model_name="RiskSignal",
            name="school",
            field=school_field("risk_signals", null=True),
        ),
        ops.AddField(
            model_name="Consultation",
            name="school",
            field=school_field("consultations", null=True),
        ),
        ops.RunSQL([from_student("risk_signal"), from_student("consultation")]),
        ops.AlterField(
            model_name="RiskSignal",
            name="school",
            field=school_field("risk_signals", null=False),
        ),
        ops.AlterField(
            model_name="Consultation",
            name="school",
            field=school_field("consultations", null=False),
        ),
        ops.AddIndex(
            model_name="RiskSignal",
            index=Index(fields=["school_id", "created_at"]),
        ),
        ops.AddIndex(
            model_name="Consultation",
            index=Index(fields=["school_id", "held_on"]),
        ),
    ]
