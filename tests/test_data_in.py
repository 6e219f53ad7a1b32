"""Data in, as an administrator would do it: a new municipality with two schools, their rosters
and a month of attendance go in from files with the CLI; the right students, and only they, are
at risk; and a second import of the same files changes nothing."""

import asyncio
from datetime import date, timedelta

from tests.test_cli_admin import SCHOOLS, ids_of, pumpurs

FRIDAY = date(2026, 2, 27)  # in term: the four weeks before it hold 20 school days, 120 lessons
MISSED = {  # unexcused lessons over those weeks: 5% of 120 is 6, 10% is 12
    "KV-01": 12,  # 10.0%: high
    "KV-02": 6,  # 5.0%: caution
    "KV-03": 5,  # 4.2%: nothing
    "VT-01": 7,  # 5.8%: caution
}
EXCUSED = {"KV-04": 18}  # excused lessons are counted, never signalled


def roster(prefix: str) -> str:
    rows = [f"{prefix}-{n:02d};{7 + n % 2}.a;Vards{n};Uzvards{n}" for n in range(1, 9)]
    return "\r\n".join(["student_ref;class;first_name;last_name", *rows]) + "\r\n"


def school_days() -> list[date]:
    first = FRIDAY - timedelta(days=25)  # Monday 2 February
    return [first + timedelta(days=n) for n in range(26) if (first + timedelta(n)).weekday() < 5]


def attendance(prefix: str) -> str:
    """A day's lessons for each student who missed any, spread a lesson or two a day."""
    rows = ["student_ref;date;lessons_missed;excused"]
    for refs, excused in ((MISSED, "nē"), (EXCUSED, "jā")):
        for ref, lessons in refs.items():
            if not ref.startswith(prefix):
                continue
            for day in reversed(school_days()):
                if lessons <= 0:
                    break
                today = min(lessons, 2)
                rows.append(f"{ref};{day:%d.%m.%Y};{today};{excused}")
                lessons -= today
    return "\r\n".join(rows) + "\r\n"


def test_two_schools_their_rosters_and_a_month_of_attendance_from_files(
    empty_database_url, monkeypatch, tmp_path
):
    from core import clock
    from core.services import rosters
    from storage.db import database
    from storage.models import RiskSignal, Student

    for module in (clock, rosters):  # the roster service imported `today` by name
        monkeypatch.setattr(module, "today", lambda: FRIDAY)
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    (tmp_path / "schools.csv").write_text(SCHOOLS)
    pumpurs("admin", "import-schools", str(tmp_path / "schools.csv"))
    municipality = ids_of(pumpurs("admin", "municipality", "list"))["Kalnciema novads"]
    schools = ids_of(pumpurs("admin", "school", "list", "--municipality-id", str(municipality)))
    files = []
    for name, prefix in (("Kalnciema vidusskola", "KV"), ("Kalnciema Valsts tehnikums", "VT")):
        school = str(schools[name])
        (tmp_path / f"{prefix}-roster.csv").write_bytes(roster(prefix).encode("cp1257"))
        (tmp_path / f"{prefix}-days.csv").write_bytes(attendance(prefix).encode("cp1257"))
        files.append((school, tmp_path / f"{prefix}-roster.csv", tmp_path / f"{prefix}-days.csv"))

    for school, roster_file, days_file in files:
        assert "added: 8" in pumpurs("roster", "import", "--school-id", school, str(roster_file))
        pumpurs("attendance", "import", "--school-id", school, str(days_file))

    async def at_risk() -> tuple[dict[str, str], int]:
        async with database(empty_database_url):
            students = await Student.exclude(absence_level=None).values_list(
                "student_ref", "absence_level"
            )
            return dict(students), await RiskSignal.all().count()

    levels, signals = asyncio.run(at_risk())
    assert levels == {"KV-01": "high", "KV-02": "caution", "VT-01": "caution"}
    assert signals == 3

    for school, roster_file, days_file in files:
        again = pumpurs("roster", "import", "--school-id", school, str(roster_file))
        assert "already up to date: nothing was saved" in again
        assert "0 new, 0 changed" in pumpurs(
            "attendance", "import", "--school-id", school, str(days_file)
        )
    assert asyncio.run(at_risk()) == (levels, signals)
