"""Digest charts drawn ahead of sending (`storage.models.DigestChart`)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_attendance')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DigestChart',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('png', fields.BinaryField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'digest_chart', 'app': 'models', 'pk_attr': 'key', 'table_description': "A digest's chart drawn ahead of sending, found by what it shows (`core.chart.chart_key`)."},
            bases=['Model'],
        ),
    ]
