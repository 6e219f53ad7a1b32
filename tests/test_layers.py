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


# handlers/: a module is a flow (it makes a Router: `create_router`) or is shared by the flows.
SHARED = {
    "__init__",  # puts the flows' routers together
    "callbacks",
    "checked_first",
    "filters",
    "lessons",
    "markup",
    "names",
    "next_taps",
    "pickers",
    "plan_message",
    "replies",
    "student_search",
    "typed",
}


def handler_modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted((ROOT / "handlers").glob("*.py"))}


def handler_imports(path: Path) -> set[str]:
    """The handlers/ modules `path` imports (`from handlers import x` or `handlers.x`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("handlers.")
            )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "handlers":
                names.update(alias.name for alias in node.names)
            elif node.module.startswith("handlers."):
                names.add(node.module.split(".")[1])
    return names


def makes_a_router(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return any(
        isinstance(node, ast.FunctionDef) and node.name == "create_router" for node in tree.body
    )


def test_a_module_is_a_flow_or_shared_not_both() -> None:
    modules = handler_modules()
    assert modules.keys() >= SHARED, "a shared module named here no longer exists"
    flows = modules.keys() - SHARED
    assert sorted(name for name in SHARED - {"__init__"} if makes_a_router(modules[name])) == []
    assert sorted(name for name in flows if not makes_a_router(modules[name])) == []


def test_no_flow_imports_another_flow() -> None:
    modules = handler_modules()
    flows = modules.keys() - SHARED
    assert flows, "no flows found: the test would check nothing"
    crossing = {
        name: sorted((handler_imports(modules[name]) & flows) - {name}) for name in sorted(flows)
    }
    assert {name: bad for name, bad in crossing.items() if bad} == {}


def test_the_flow_checker_sees_both_import_forms(tmp_path: Path) -> None:
    module = tmp_path / "flow.py"
    module.write_text(
        "from handlers.plans import PlStart\nimport handlers.risk\n"
        "def f():\n    from handlers import absences\n"
    )
    assert handler_imports(module) == {"plans", "risk", "absences"}
