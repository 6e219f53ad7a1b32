"""The import contract: bot -> handlers, api -> core -> storage, never the other way."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each layer must never import (top-level package names).
FORBIDDEN = {
    "storage": {"core", "api", "handlers", "bot", "aiogram", "fastapi", "starlette"},
    "core": {"api", "handlers", "bot", "aiogram", "fastapi", "starlette"},
    "api": {"handlers", "bot", "aiogram"},
    "handlers": {"api", "bot", "storage", "fastapi", "starlette"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level package of every module `path` imports, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    assert modules(layer), f"{layer}/ has no modules: the contract would check nothing"
    broken = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[layer])
        for path in modules(layer)
    }
    assert {path: bad for path, bad in broken.items() if bad} == {}


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from aiogram import Bot\n    import storage.models\n")
    assert imported_packages(module) == {"aiogram", "storage"}
