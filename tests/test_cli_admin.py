"""`pumpurs admin`: the operator onboards municipalities, schools, holidays, NGOs and the first
coordinators and administrators from the command line, on a database of its own."""

import asyncio
import re

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()
SCHOOLS = """municipality;school;kind;state_vocational\r
Kalnciema novads;Kalnciema vidusskola;general;no\r
Kalnciema novads;Kalnciema Valsts tehnikums;vocational;yes\r
"""


def pumpurs(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (args, result.output)
    return result.output


def ids_of(listing: str) -> dict[str, int]:
    """A tab-separated listing's names (third column for schools, else second) to their ids."""
    rows = [line.split("\t") for line in listing.splitlines()[1:]]
    return {row[2] if len(row) > 3 else row[-1]: int(row[0]) for row in rows}


def test_an_administrator_onboards_a_municipality_from_a_file_and_invites_its_coordinators(
    empty_database_url, monkeypatch, tmp_path
):
    """Done when: a new municipality with two schools goes in from a file with the CLI, their
    coordinators are invited and join, and a second import of the same file changes nothing."""
    from core.services.people import enroll_by_invite
    from storage.db import database
    from storage.models import School

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("BOT_USERNAME", "pumpurs_demo_bot")
    file = tmp_path / "schools.csv"
    file.write_bytes(("\ufeff" + SCHOOLS).encode())  # as Excel in a Latvian locale saves it

    assert "2 created, 0 updated, 0 unchanged; municipalities created: 1" in pumpurs(
        "admin", "import-schools", str(file)
    )
    assert "0 created, 0 updated, 2 unchanged; municipalities created: 0" in pumpurs(
        "admin", "import-schools", str(file)
    )
    municipality = ids_of(pumpurs("admin", "municipality", "list"))["Kalnciema novads"]
    schools = ids_of(pumpurs("admin", "school", "list", "--municipality-id", str(municipality)))
    assert set(schools) == {"Kalnciema vidusskola", "Kalnciema Valsts tehnikums"}

    links = [
        pumpurs("admin", "invite-coordinator", "--school-id", str(school)).strip()
        for school in schools.values()
    ]
    links.append(
        pumpurs("admin", "invite-coordinator", "--municipality-id", str(municipality)).strip()
    )
    for link in links:
        assert re.fullmatch(r"https://t\.me/pumpurs_demo_bot\?start=[\w-]+", link), link

    async def join() -> list[tuple[set[int], set[int], bool]]:
        async with database(empty_database_url):
            joined = [
                await enroll_by_invite(
                    link.partition("start=")[2], telegram_id=7000 + n, display_name=f"C{n}"
                )
                for n, link in enumerate(links)
            ]
            vocational = await School.get(id=schools["Kalnciema Valsts tehnikums"])
            return [
                (a.coordinated_school_ids, a.municipality_ids, vocational.state_vocational)
                for a in joined
            ]

    first, second, municipal = asyncio.run(join())
    assert {*first[0], *second[0]} == set(schools.values())
    assert municipal[1] == {municipality}
    assert first[2] is True  # the state vocational school: plans skip the municipality


def test_schools_settings_holidays_and_ngos_one_by_one(empty_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    assert pumpurs("admin", "municipality", "add", "Ezerkalnes novads").startswith(
        "Municipality 1: Ezerkalnes novads"
    )
    added = pumpurs(
        "admin", "school", "add", "--municipality-id", "1", "--name", "Ezerkalnes vidusskola",
        "--kind", "general",
    )  # fmt: skip
    assert added.startswith("School 1: Ezerkalnes vidusskola")
    refused = pumpurs(
        "admin", "school", "add", "--municipality-id", "1", "--name", "Ezerkalnes arodskola",
        "--kind", "general", "--state-vocational", code=1,
    )  # fmt: skip
    assert "Only a vocational school can be a state vocational school." in refused

    edited = pumpurs(
        "admin", "school", "edit", "1", "--lessons-per-day", "7", "--caution-percent", "4.5",
        "--window-days", "21",
    )  # fmt: skip
    assert edited.splitlines()[1].split("\t")[5:] == ["7", "4.5", "default", "21"]
    crossed = pumpurs("admin", "school", "edit", "1", "--high-percent", "4", code=1)
    assert "must be below the high-risk threshold" in crossed
    reset = pumpurs("admin", "school", "edit", "1", "--default-settings", "--window-days", "30")
    assert reset.splitlines()[1].split("\t")[5:] == ["default", "default", "default", "30"]

    assert pumpurs(
        "admin", "holiday", "add", "1", "2026-10-26", "2026-10-30", "--name", "Rudens"
    ).startswith("Holiday 1: 2026-10-26 to 2026-10-30")
    backwards = pumpurs("admin", "holiday", "add", "1", "2026-10-30", "2026-10-26", code=1)
    assert "cannot be before its first day" in backwards
    assert "1\t2026-10-26\t2026-10-30\tRudens" in pumpurs("admin", "holiday", "list", "1")
    pumpurs("admin", "holiday", "remove", "1")
    assert pumpurs("admin", "holiday", "list", "1").splitlines()[1:] == []

    assert pumpurs(
        "admin", "ngo", "add", "--municipality-id", "1", "--name", "Jauniesu klubs Tilts"
    ).startswith("NGO 1: Jauniesu klubs Tilts")
    assert "1\t1\tJauniesu klubs Tilts" in pumpurs("admin", "ngo", "list")


def test_the_first_administrator_is_invited_and_a_bad_file_saves_nothing(
    empty_database_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    code = pumpurs("admin", "invite-admin").strip()
    assert len(code) >= 20
    both = pumpurs(
        "admin", "invite-coordinator", "--school-id", "1", "--municipality-id", "1", code=2
    )
    assert "either --school-id or --municipality-id" in both
    assert "Not found." in pumpurs("admin", "invite-coordinator", "--school-id", "1", code=1)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "municipality,school,kind,state_vocational\n"
        "Kalnciema novads,Kalnciema vidusskola,general,no\n"
        "Kalnciema novads,Kalnciema vidusskola,general,no\n"
    )
    refused = pumpurs("admin", "import-schools", str(bad), code=1)
    assert "Line 3: this school is already on line 2." in refused
    assert pumpurs("admin", "municipality", "list").splitlines() == ["id\tname"]
    cp1257 = tmp_path / "cp1257.csv"
    cp1257.write_bytes(
        "municipality,school,kind\nĶekavas novads,Baldones skola,general\n".encode("cp1257")
    )
    assert "1 created" in pumpurs("admin", "import-schools", str(cp1257))  # Baltic Windows
    assert "Ķekavas novads" in pumpurs("admin", "municipality", "list")
