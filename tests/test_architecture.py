"""The layout rules of docs/architecture.md, checked by walking every module's imports.

Every import counts, function-level ones included. The checks are plain functions over a tree
on disk (`violations(root)`), so the same code that guards the project is shown to fail on a
small tree with a forbidden import, a cycle, a module without a docstring and one too long.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "storage")
MAX_LINES = 400

#: What each part may import of ours (by prefix); the longest matching prefix decides.
#: Anything of ours not listed is forbidden. `storage.base` is the store's protocol.
ALLOWED: dict[str, tuple[str, ...]] = {
    "bot.config": (),
    "bot.survey": ("bot.survey",),
    "bot.privacy": ("bot.privacy",),
    "bot.conversation": ("bot.conversation", "bot.survey", "bot.privacy", "storage.base"),
    # At completion the service asks what a response adds to the counters: one narrow edge.
    "bot.conversation.service": (
        "bot.conversation",
        "bot.survey",
        "bot.privacy",
        "storage.base",
        "bot.stats.counters",
        "bot.stats.publication",
    ),
    # The thank-you screen's results read the published tables: the other narrow edge.
    "bot.conversation.results": (
        "bot.conversation",
        "bot.survey",
        "bot.stats.tables",
        "storage.base",
    ),
    # The pure core of the conversation: no store, no I/O.
    "bot.conversation.engine": ("bot.conversation", "bot.survey"),
    "bot.conversation.vocabulary": ("bot.conversation", "bot.survey"),
    "bot.conversation.answers": ("bot.conversation", "bot.survey"),
    "bot.conversation.screens": ("bot.conversation", "bot.survey"),
    "bot.conversation.texts": ("bot.conversation",),
    "bot.stats": ("bot.stats", "bot.survey", "bot.privacy", "storage.base"),
    "bot.staff": (
        "bot.staff",
        "bot.survey",
        "bot.privacy",
        "bot.conversation",
        "bot.stats",
        "storage.base",
    ),
    "bot.adapters.telegram": (
        "bot.adapters.telegram",
        "bot.conversation",
        "bot.staff",
        "bot.stats",
        "bot.survey",
        "bot.privacy",
    ),
    "bot.outreach": ("bot.outreach", "bot.survey"),
    "bot.adapters.terminal": ("bot.adapters.terminal", "bot.conversation", "bot.survey"),
    "bot.cli": ("bot", "storage"),
    "bot.__main__": ("bot.cli",),
    "bot": (),
    "storage": ("storage",),
}
#: Third-party packages only one part may import.
EXCLUSIVE: dict[str, str] = {"telegram": "bot.adapters.telegram"}
#: Modules that must do no I/O: no asyncio, no database driver, no network, no Telegram.
PURE = ("bot.survey", "bot.conversation.engine", "bot.conversation.screens", "bot.stats.disclosure")
IO_MODULES = {"asyncio", "aiosqlite", "aiohttp", "httpx", "telegram", "sqlite3", "socket"}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    names: tuple[str, ...]


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def imports(root: Path, name: str, path: Path) -> Iterator[Import]:
    """Every import in the module, at any depth, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, ())
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(name, base, node.lineno, tuple(a.name for a in node.names))


def resolve(known: dict[str, Path], imp: Import) -> list[str]:
    """The modules of ours an import loads: `from pkg import mod` loads `pkg.mod`."""
    targets = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known]
    if imp.target in known and (not targets or len(targets) < len(imp.names)):
        targets.append(imp.target)
    return targets


def rule_for(name: str) -> tuple[str, ...] | None:
    best = max((p for p in ALLOWED if name == p or name.startswith(p + ".")), key=len, default="")
    return ALLOWED.get(best) if best else None


def allowed(rule: tuple[str, ...], target: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in rule)


def graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for imp in imports(root, name, path):
            edges[name].update(t for t in resolve(known, imp) if t != name)
    # A package's __init__ is loaded with any of its modules, but holds only a docstring
    # here; importing `bot.survey.model` is an edge to that module, not to the package.
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def violations(root: Path) -> list[str]:
    """Every broken rule in the tree at `root`, one line each."""
    problems: list[str] = []
    known = modules(root)
    for name, path in known.items():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(root)
        docstring = ast.get_docstring(ast.parse(text))
        if not docstring or len(docstring) < 30:
            problems.append(f"{where}: no docstring saying what the module owns")
        if (count := len(text.splitlines())) > MAX_LINES:
            problems.append(f"{where}: {count} lines (at most {MAX_LINES}): split it")
        rule = rule_for(name)
        for imp in imports(root, name, path):
            top = imp.target.split(".")[0]
            ours = resolve(known, imp) if top in PACKAGES else []
            for target in ours:
                if target != name and (rule is None or not allowed(rule, target)):
                    problems.append(f"{where}:{imp.line}: {name} must not import {target}")
            owner = EXCLUSIVE.get(top)
            if owner and not (name == owner or name.startswith(owner + ".")):
                problems.append(f"{where}:{imp.line}: only {owner} may import {top}")
            if any(p.startswith(PURE) or p in PURE for p in [name]) and top in IO_MODULES:
                problems.append(f"{where}:{imp.line}: {name} is pure and must not import {top}")
            private = [n for n in imp.names if n.startswith("_") and n != "__future__"]
            private_path = [p for p in imp.target.split(".") if p.startswith("_")]
            if private or (private_path and imp.target != "__future__"):
                problems.append(
                    f"{where}:{imp.line}: {name} imports a private name of {imp.target}"
                )
    for component in cycles(graph(root)):
        problems.append("import cycle: " + " -> ".join(component))
    return problems


def test_the_project_keeps_every_rule() -> None:
    assert violations(ROOT) == []


def test_bot_top_level_is_only_packages_and_the_entry_points() -> None:
    top = sorted(p.name for p in (ROOT / "bot").iterdir() if p.name != "__pycache__")
    files = [n for n in top if not (ROOT / "bot" / n).is_dir()]
    assert files == ["__init__.py", "__main__.py", "config.py"]
    for folder in (ROOT / "bot").iterdir():
        if folder.is_dir() and folder.name != "__pycache__":
            assert (folder / "__init__.py").exists(), folder


def test_tests_mirror_the_tree() -> None:
    for part in ("survey", "conversation", "privacy", "stats", "staff", "adapters", "cli"):
        assert (ROOT / "tests" / part).is_dir(), f"tests/{part}/ mirrors bot/{part}/"


# The checks themselves, on small trees: each rule must be able to fail.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return tmp_path


DOC = '"""A module that owns one thing and says so here."""\n'
CLEAN = {
    "bot/__init__.py": DOC,
    "bot/survey/__init__.py": DOC,
    "bot/survey/model.py": DOC,
    "bot/adapters/__init__.py": DOC,
    "bot/adapters/telegram/__init__.py": DOC,
    "bot/adapters/telegram/app.py": DOC + "import telegram\nfrom bot.survey.model import X\n",
    "storage/__init__.py": DOC,
    "storage/base.py": DOC,
}


def test_a_clean_small_tree_passes(tmp_path: Path) -> None:
    assert violations(_tree(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"bot/survey/model.py": DOC + "def f():\n    from bot.adapters.telegram import app\n"},
            "bot.survey.model must not import bot.adapters.telegram.app",
        ),
        ({"storage/base.py": DOC + "import telegram\n"}, "only bot.adapters.telegram may import"),
        ({"storage/base.py": DOC + "from bot.survey import model\n"}, "must not import"),
        ({"bot/survey/model.py": DOC + "import asyncio\n"}, "is pure and must not import"),
        (
            {"bot/adapters/telegram/app.py": DOC + "from bot.survey.model import _hidden\n"},
            "imports a private name",
        ),
        ({"bot/survey/model.py": "x = 1\n"}, "no docstring"),
        ({"bot/survey/model.py": DOC + "x = 1\n" * 450}, "lines (at most 400)"),
        (
            {
                "bot/survey/a.py": DOC + "from bot.survey import b\n",
                "bot/survey/b.py": DOC + "def f():\n    import bot.survey.a\n",
            },
            "import cycle: bot.survey.a -> bot.survey.b",
        ),
    ],
)
def test_each_rule_fails_on_a_tree_that_breaks_it(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    problems = violations(_tree(tmp_path, {**CLEAN, **extra}))
    assert any(expected in p for p in problems), problems
