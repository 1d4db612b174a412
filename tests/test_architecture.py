"""The dependency rules of DESIGN.md, checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted([*ROOT.glob("bot/*.py"), *ROOT.glob("storage/*.py")])
#: The Telegram adapter: the only modules that may import `telegram`.
TELEGRAM_ADAPTER = {
    "bot.app",
    "bot.handlers",
    "bot.staff_handlers",
    "bot.flood",
    "bot.ordering",
    "bot.updates",
    "bot.aiohttp_request",
}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _project_imports(path: Path) -> set[str]:
    return {name for name in _imports(path) if name.split(".")[0] in {"bot", "storage"}}


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_module_opens_with_a_docstring(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and len(docstring) > 40, f"{_name(path)} needs a docstring saying what it owns"


def test_engine_imports_only_the_survey() -> None:
    engine_modules = [p for p in MODULES if _name(p).startswith("bot.engine")]
    assert engine_modules
    for path in engine_modules:
        allowed = {"bot.survey"} | {_name(p) for p in engine_modules}
        assert _project_imports(path) <= allowed, _name(path)
        roots = {n.split(".")[0] for n in _imports(path)}
        assert not roots & {"telegram", "asyncio", "aiosqlite"}, _name(path)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_only_the_adapter_imports_telegram(path: Path) -> None:
    uses_telegram = any(n.split(".")[0] == "telegram" for n in _imports(path))
    assert not uses_telegram or _name(path) in TELEGRAM_ADAPTER, _name(path)


@pytest.mark.parametrize("path", [p for p in MODULES if _name(p).startswith("storage")], ids=_name)
def test_storage_never_imports_the_bot_or_telegram(path: Path) -> None:
    names = _imports(path)
    assert not any(n.split(".")[0] in {"telegram", "bot"} for n in names), _name(path)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_handlers_never_import_storage(path: Path) -> None:
    if _name(path) in {"bot.handlers", "bot.staff_handlers", "bot.render", "bot.engine"}:
        assert not any(n.split(".")[0] == "storage" for n in _imports(path)), _name(path)


def test_pure_modules_do_no_io() -> None:
    pure = {"bot.engine", "bot.render", "bot.stats", "bot.disclosure", "bot.tallies", "bot.survey"}
    for path in MODULES:
        if _name(path) in pure:
            names = _imports(path)
            io_modules = {"asyncio", "aiosqlite", "socket", "subprocess", "telegram"}
            assert not names & io_modules, _name(path)
