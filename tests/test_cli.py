"""The command line: migrate, demo data, tokens and invites on a database of its own."""

from datetime import date

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_demo_data_then_token_and_invite(empty_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("BOT_USERNAME", raising=False)

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["demo-data", "--if-empty"])
    assert loaded.exit_code == 0, loaded.output
    assert "Demo data loaded" in loaded.output
    assert "person 1: teacher" in loaded.output
    assert "person 3: school coordinator" in loaded.output
    again = runner.invoke(app, ["demo-data", "--if-empty"])
    assert "already has data" in again.output

    token = runner.invoke(app, ["token", "create", "--person-id", "1"])
    assert token.exit_code == 0, token.output
    assert len(token.output.strip()) >= 40

    invite = runner.invoke(
        app, ["invite", "create", "--role", "municipality_coordinator", "--municipality-id", "1"]
    )
    assert invite.exit_code == 0, invite.output
    monkeypatch.setenv("BOT_USERNAME", "pumpurs_demo_bot")
    linked = runner.invoke(app, ["invite", "create", "--role", "teacher", "--school-id", "1"])
    assert linked.output.startswith("https://t.me/pumpurs_demo_bot?start=")

    refused = runner.invoke(app, ["invite", "create", "--role", "teacher"])
    assert refused.exit_code == 1
    assert "Choose the school." in refused.output


def test_chat_as_a_teacher_marks_absences_and_the_plan_changes(empty_database_url, monkeypatch):
    import asyncio

    from core import clock, demo
    from core.access import load_actor
    from core.clock import Semester
    from core.iap import assemble_for_student
    from storage.db import database

    for module in (clock, demo):  # the demo imported `today` by name
        monkeypatch.setattr(module, "today", lambda: date(2026, 2, 27))  # a Friday in term
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["demo-data"]).exit_code == 0

    async def lessons_missed() -> dict[str, int]:
        async with database(empty_database_url):
            coordinator = await load_actor(5)
            plan = await assemble_for_student(coordinator, 1, Semester.current())
            return {r.factor: r.lessons_missed for r in plan.risks}.get("unexcused_absences", 0)

    before = asyncio.run(lessons_missed())
    # /absent -> class 7.a [1] -> the first student [1] -> 2 lessons [2] -> Save [12]
    result = runner.invoke(app, ["chat", "--as", "teacher"], input="/absent\n#1\n#1\n#2\n#12\n")
    assert result.exit_code == 0, result.output
    assert "Cita diena" in result.output
    assert "Saglabāts: 1 skolēns" in result.output
    assert asyncio.run(lessons_missed()) == before + 2


def test_tokens_are_listed_without_their_secret_and_revoked(empty_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["demo-data"]).exit_code == 0
    secret = runner.invoke(app, ["token", "create", "--person-id", "5", "--days", "30"])
    assert secret.exit_code == 0, secret.output
    refused = runner.invoke(app, ["token", "create", "--person-id", "5", "--days", "0"])
    assert refused.exit_code == 1
    assert "1 to 365 days" in refused.output

    listed = runner.invoke(app, ["token", "list"])
    assert listed.exit_code == 0, listed.output
    assert secret.output.strip() not in listed.output
    row = listed.output.splitlines()[1].split("\t")
    assert row[1] == "5" and row[-1] == "-"  # person 5, not revoked

    revoked = runner.invoke(app, ["token", "revoke", row[0]])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(app, ["token", "list"]).output.splitlines()[1].split("\t")[-1] != "-"
    missing = runner.invoke(app, ["token", "revoke", "9999"])
    assert missing.exit_code == 1


def test_privacy_export_prints_json_for_a_student_or_a_person(empty_database_url, monkeypatch):
    import json

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["demo-data"]).exit_code == 0
    student = runner.invoke(app, ["privacy", "export", "--student-id", "1", "--locale", "ru"])
    assert student.exit_code == 0, student.output
    data = json.loads(student.output)
    assert data["student"]["id"] == 1
    labels = {s["factor"]["label"] for s in data["risk_signals"]}
    assert labels and all(label.isascii() is False for label in labels)  # Russian labels
    person = json.loads(runner.invoke(app, ["privacy", "export", "--person-id", "5"]).output)
    assert person["person"]["id"] == 5 and person["memberships"]
    assert runner.invoke(app, ["privacy", "export"]).exit_code != 0
    assert runner.invoke(app, ["privacy", "export", "--student-id", "99999"]).exit_code == 1


def test_privacy_erase_asks_first_and_purge_erases_past_retention(empty_database_url, monkeypatch):
    import json

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["demo-data"]).exit_code == 0

    def student(student_id: int) -> dict:
        export = runner.invoke(app, ["privacy", "export", "--student-id", str(student_id)])
        return json.loads(export.output)["student"]

    name = student(1)["last_name"]
    kept = runner.invoke(app, ["privacy", "erase", "--student-id", "1"], input="n\n")
    assert kept.exit_code == 1 and "cannot be undone" in kept.output
    assert student(1)["last_name"] == name

    erased = runner.invoke(app, ["privacy", "erase", "--student-id", "1"], input="y\n")
    assert erased.exit_code == 0 and "erased." in erased.output, erased.output
    assert student(1)["last_name"] != name and student(1)["erased_at"]
    again = runner.invoke(app, ["privacy", "erase", "--student-id", "1", "--yes"])
    assert again.exit_code == 0 and "already erased" in again.output

    nothing = runner.invoke(app, ["privacy", "purge", "--yes"])  # demo data is this year's
    assert "nothing to erase" in nothing.output
    everyone = runner.invoke(app, ["privacy", "purge", "--before", "2999-01-01", "--yes"])
    assert everyone.exit_code == 0, everyone.output
    assert everyone.output.startswith("Erased ") and student(2)["erased_at"]


def test_roster_import_dry_run_import_again_and_a_bad_file(
    empty_database_url, monkeypatch, tmp_path
):
    """As an administrator would: a school's register export, tried, imported, imported again."""
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["demo-data"]).exit_code == 0
    export = tmp_path / "7a.csv"
    lines = ["Skolēna ID;Klase;Vārds;Uzvārds", "LP-1;7.a;Līga;Zvaigzne", "LP-2;7.b;Ņina;Šķēle"]
    export.write_bytes("".join(line + "\r\n" for line in lines).encode("cp1257"))
    command = ["roster", "import", "--school-id", "1", str(export), "--partial"]

    tried = runner.invoke(app, [*command, "--dry-run"])
    assert tried.exit_code == 0, tried.output
    assert "Read 2 students: cp1257, semicolon-separated, CRLF line endings." in tried.output
    assert "  added: 2 (LP-1, LP-2)" in tried.output
    assert "Dry run: nothing was saved." in tried.output

    done = runner.invoke(app, command)
    assert "Changed (partial import):\n  added: 2 (LP-1, LP-2)" in done.output
    again = runner.invoke(app, command)
    assert "  added: 0\n" in again.output
    assert "The roster was already up to date: nothing was saved." in again.output

    export.write_bytes(b"student_ref,class,first_name,last_name\nLP-3,7.a,Anna\n")
    refused = runner.invoke(app, command)
    assert refused.exit_code == 1
    assert "Line 2, column last_name: this cell is missing." in refused.output

    moved = runner.invoke(
        app,
        ["roster", "move", "--student-id", "1", "--to-school-id", "2", "--class", "7.a"],
    )
    assert moved.exit_code == 0, moved.output
    assert "is now at school 2" in moved.output


def test_attendance_import_from_a_file_twice_and_the_levels(
    empty_database_url, monkeypatch, tmp_path
):
    from core import clock, demo

    for module in (clock, demo):  # the demo imported `today` by name
        monkeypatch.setattr(module, "today", lambda: date(2026, 2, 27))  # a Friday in term
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    loaded = runner.invoke(app, ["demo-data"])
    assert loaded.exit_code == 0, loaded.output
    export = tmp_path / "attendance.csv"
    rows = ["student_ref;date;lessons_missed;excused"]
    rows += [f"EK-101001;{day:02d}.02.2026;6;nē" for day in (23, 24, 25, 26, 27)]
    export.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1257"))
    command = ["attendance", "import", "--school-id", "1", str(export)]

    dry = runner.invoke(app, [*command, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Read 5 rows (cp1257, semicolon separator, CRLF line endings)" in dry.output
    assert "would be saved" in dry.output
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.output
    assert "Student 2: " in first.output and "-> high (30 of 120 lessons" in first.output
    again = runner.invoke(app, command)
    assert "0 new, 0 changed, 5 unchanged were saved." in again.output
    assert "Student 2" not in again.output  # nothing changed

    export.write_text("student_ref,date,lessons_missed\nEK-101001,2026-02-21,1\nX-1,2026-02-27,1\n")
    bad = runner.invoke(app, command)
    assert bad.exit_code == 1
    assert "Line 2: 2026-02-21 is a weekend day" in bad.output
    assert "Line 3: no student of this school has the reference X-1." in bad.output

    levels = runner.invoke(app, ["attendance", "levels", "--school-id", "1"])
    assert levels.exit_code == 0, levels.output
    assert "Students by level: none: " in levels.output and "high: " in levels.output
