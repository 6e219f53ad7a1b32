"""Data in at programme scale: each school's own lessons per day, absence thresholds and holidays
(null: the programme's default); a student's register reference, leaving date and absence level;
attendance as one row per student and school day; and how each involved student's semester ended.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0008_plan_review')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Absence',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='absences', on_delete=OnDelete.CASCADE)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='absences', on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField()),
                ('unexcused', fields.SmallIntField(default=0)),
                ('excused', fields.SmallIntField(default=0)),
                ('source', fields.CharField(max_length=16)),
                ('reporter', fields.ForeignKeyField('models.Person', source_field='reporter_id', null=True, db_constraint=True, to_field='id', related_name='absences_logged', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'absence', 'app': 'models', 'unique_together': (('student', 'day'),), 'indexes': [Index(fields=['school_id', 'day'])], 'pk_attr': 'id', 'table_description': 'Lessons a student missed on one school day, unexcused and excused: one row a day.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SchoolHoliday',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='holidays', on_delete=OnDelete.CASCADE)),
                ('first_day', fields.DateField()),
                ('last_day', fields.DateField()),
                ('name', fields.CharField(null=True, max_length=120)),
            ],
            options={'table': 'school_holiday', 'app': 'models', 'unique_together': (('school', 'first_day'),), 'pk_attr': 'id', 'table_description': 'Days a school does not teach beyond the national calendar: its own breaks and closures.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StudentOutcome',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('student', fields.ForeignKeyField('models.Student', source_field='student_id', db_constraint=True, to_field='id', related_name='outcomes', on_delete=OnDelete.CASCADE)),
                ('school', fields.ForeignKeyField('models.School', source_field='school_id', db_constraint=True, to_field='id', related_name='student_outcomes', on_delete=OnDelete.RESTRICT)),
                ('school_year', fields.SmallIntField()),
                ('semester', fields.SmallIntField()),
                ('outcome', fields.CharField(max_length=16)),
                ('reason', fields.CharField(null=True, max_length=32)),
                ('recorded_by', fields.ForeignKeyField('models.Person', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='outcomes_recorded', on_delete=OnDelete.SET_NULL)),
                ('recorded_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'student_outcome', 'app': 'models', 'unique_together': (('student', 'school_year', 'semester'),), 'pk_attr': 'id', 'table_description': "How an involved student's semester ended: continues, completed, moved, left early, other."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='School',
            name='absence_caution_percent',
            field=fields.DecimalField(null=True, max_digits=4, decimal_places=1),
        ),
        ops.AddField(
            model_name='School',
            name='absence_high_percent',
            field=fields.DecimalField(null=True, max_digits=4, decimal_places=1),
        ),
        ops.AddField(
            model_name='School',
            name='absence_window_days',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='School',
            name='lessons_per_day',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Student',
            name='absence_level',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Student',
            name='left_at',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Student',
            name='student_ref',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddConstraint(
            model_name='Student',
            constraint=UniqueConstraint(fields=('school', 'student_ref'), name=None),
        ),
    ]
