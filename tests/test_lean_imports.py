"""`pumpurs serve` without a bot loads neither aiogram nor matplotlib nor fpdf2: they are
imported where they are used (the bot, the chart workers, the first PDF)."""

import json
import subprocess
import sys

HEAVY = ("aiogram", "matplotlib", "fpdf", "numpy")


def loaded_after(statement: str) -> list[str]:
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"import sys, json\n{statement}\n{report}"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_api_and_serve_load_no_bot_chart_or_pdf_library():
    statement = "import api.app, bot.runner, bot.cli\napi.app.create_app(manage_database=False)"
    assert loaded_after(statement) == []


def test_the_probe_sees_a_heavy_import():
    assert loaded_after("import bot.running, core.chart_drawing") == [
        "aiogram",
        "matplotlib",
        "numpy",
    ]
