"""Attendance: the absences the bot logged as risk signals become attendance rows.

Before attendance had a table, `/absent` stored each student's lessons missed on a day as a risk
signal (unexcused absences, from and to that one day, no note), and any absence at all made a
"caution" signal. Each such day becomes an Absence row (source bot, the same reporter; a day
logged several times sums its lessons), so the new early-warning windows count it.

The one-day signals of students who have no plan are then deleted: they were the over-wide
"any absence is caution" lists, and the levels recomputed from the attendance replace them
(`pumpurs attendance levels --school-id N` after the upgrade, or the next attendance to arrive).
Students with a plan keep theirs: a plan's risks are read from its student's signals, and a plan
already written must not lose the evidence it was written on. Signals over a period, or with a
note (a person's judgement, from the risk flow), stay for everyone.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

ABSENCES = "unexcused_absences"  # fixed here: history must not change with the code
MAX_LESSONS = 32767  # the column is a small integer


async def absence_signals_to_attendance(apps, schema_editor) -> None:
    client = schema_editor.client
    signals = apps.get_model("models", "RiskSignal")
    absences = apps.get_model("models", "Absence")
    plans = apps.get_model("models", "Iap")
    rows = (
        await signals.filter(factor=ABSENCES, note__isnull=True, value__isnull=False)
        .using_db(client)
        .order_by("id")
        .values_list("id", "student_id", "school_id", "observed_from", "observed_to", "value")
    )
    reporters = dict(
        await signals.filter(factor=ABSENCES).using_db(client).values_list("id", "reporter_id")
    )
    days: dict[tuple[int, object], list] = {}
    converted: dict[int, int] = {}  # signal id -> student id
    for signal_id, student_id, school_id, first, last, value in rows:
        if first != last:
            continue
        converted[signal_id] = student_id
        entry = days.setdefault((student_id, first), [school_id, 0, reporters[signal_id]])
        entry[1] = min(entry[1] + value, MAX_LESSONS)
    if not converted:
        return
    stored = set(await absences.all().using_db(client).values_list("student_id", "day"))
    await absences.bulk_create(
        [
            absences(
                student_id=student_id,
                school_id=school_id,
                day=day,
                unexcused=lessons,
                excused=0,
                source="bot",
                reporter_id=reporter_id,
            )
            for (student_id, day), (school_id, lessons, reporter_id) in days.items()
            if (student_id, day) not in stored
        ],
        batch_size=1000,
        using_db=client,
    )
    planned = set(await plans.all().using_db(client).values_list("student_id", flat=True))
    unplanned = [sid for sid, student_id in converted.items() if student_id not in planned]
    for start in range(0, len(unplanned), 1000):
        await signals.filter(id__in=unplanned[start : start + 1000]).using_db(client).delete()


class Migration(migrations.Migration):
    dependencies = [("models", "0009_data_in")]

    initial = False

    operations = [
        ops.RunPython(absence_signals_to_attendance, ops.RunPython.noop),
    ]
