"""A plan's consent keeps how it was given and the date on the signed form.

Consent recorded before: given online when the one who recorded it is the student's parent,
otherwise `unknown` (entered by staff, with no evidence kept).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

LEGACY_METHOD = """
UPDATE iap SET consent_method = CASE WHEN EXISTS (
    SELECT 1 FROM membership
    WHERE membership.person_id = iap.consent_by_id
      AND membership.role = 'parent'
      AND membership.student_id = iap.student_id
) THEN 'online' ELSE 'unknown' END
WHERE consent <> 'missing'
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0003_signal_and_session_school")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Iap",
            name="consent_method",
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name="Iap",
            name="consent_signed_on",
            field=fields.DateField(null=True),
        ),
        ops.RunSQL([LEGACY_METHOD]),
    ]
