"""Plan editing: a plan's risk groups with the preparer's justification (and the factors the
preparer names beside the logged signals); a material measure keeps the months it covers.

Measures planned before get no months (an empty list): which months they meant was never kept.
"""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0006_privacy")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IapRiskGroup",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "iap",
                    fields.ForeignKeyField(
                        "models.Iap",
                        source_field="iap_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="risk_groups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("group", fields.CharField(max_length=32)),
                ("justification", fields.TextField(null=True, unique=False)),
                (
                    "factors",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "iap_risk_group",
                "app": "models",
                "unique_together": (("iap", "group"),),
                "pk_attr": "id",
                "table_description": (
                    "One risk group of a plan as its preparer assessed it: justification, "
                    "factors added."
                ),
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="IapMeasure",
            name="months",
            field=fields.JSONField(
                null=True,
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.RunSQL(["UPDATE iap_measure SET months = '[]' WHERE months IS NULL"]),
        # Required in two steps: SQLite's table rebuild cannot write a callable default.
        ops.AlterField(
            model_name="IapMeasure",
            name="months",
            field=fields.JSONField(
                encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AlterField(
            model_name="IapMeasure",
            name="months",
            field=fields.JSONField(
                default=list,
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
    ]
