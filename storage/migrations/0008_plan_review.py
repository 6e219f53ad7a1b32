"""A plan's review: each measure rated (realised fully, partly or not) with an optional note, and
the risk situation at the end (reduced, unchanged or worse). Plans reviewed before keep only
their overall evaluation: the new columns start empty.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0007_plan_editing")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Iap",
            name="risk_outcome",
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name="IapMeasure",
            name="realised",
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name="IapMeasure",
            name="evaluation_note",
            field=fields.TextField(null=True),
        ),
    ]
