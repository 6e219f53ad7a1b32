"""The command line: migrate, demo data, tokens and invites on a database of its own."""

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
