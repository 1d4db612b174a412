"""Debian's package database on this machine, for checking the image's `apt-get install` line.

Owns: which installed package owns a file (`dpkg -S`), and the packages an `apt-get install
--no-install-recommends` of some packages brings (their Depends and Pre-Depends, recursively;
of alternatives `a | b` the first one installed here, as apt prefers the first).

What must hold: only the dpkg database is read (no package lists, no network), so the answers
are this machine's Debian release's; the test compares that release with the image's base tag.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def codename() -> str:
    """This machine's Debian release name (`bookworm`), from /etc/os-release."""
    text = Path("/etc/os-release").read_text(encoding="utf-8")
    found = re.search(r"^VERSION_CODENAME=(\w+)$", text, re.MULTILINE)
    assert found, "/etc/os-release names no VERSION_CODENAME"
    return found[1]


def owners(paths: list[str]) -> dict[str, str]:
    """The package owning each path that dpkg knows (paths it does not know are left out).
    A library under /usr/lib may be registered under /lib (merged /usr), and the other way."""
    variants = {path: {path, _other_usr(path)} for path in paths}
    asked = sorted(set().union(*variants.values())) if paths else []
    if not asked:
        return {}
    result = subprocess.run(
        ["dpkg", "-S", *asked], capture_output=True, text=True, timeout=60, check=False
    )
    by_path = {}
    for line in result.stdout.splitlines():
        packages, _, path = line.partition(": ")
        by_path[path] = packages.split(",")[0].split(":")[0].strip()
    return {path: by_path[known] for path in paths for known in variants[path] if known in by_path}


def _other_usr(path: str) -> str:
    if path.startswith("/usr/lib/"):
        return path.removeprefix("/usr")
    return "/usr" + path if path.startswith("/lib/") else path


def closure(packages: list[str]) -> set[str]:
    """`packages` and everything installing them pulls in (see the module docstring)."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Provides}\t${Depends}, ${Pre-Depends}\n"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    depends: dict[str, str] = {}
    provider: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, provides, needs = line.split("\t")
        depends[name] = needs
        for virtual in _names(provides):
            provider.setdefault(virtual, name)
    missing = [p for p in packages if p not in depends]
    assert not missing, f"not installed on this machine, cannot be checked: {missing}"
    seen: set[str] = set()
    todo = list(packages)
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        for group in depends[package].split(","):
            choices = [c for c in _names(group.replace("|", ",")) if c in depends or c in provider]
            if choices:
                todo.append(choices[0] if choices[0] in depends else provider[choices[0]])
    return seen


def _names(text: str) -> list[str]:
    """Package names in a Depends/Provides field part (versions and architectures dropped)."""
    return [
        part.split("(")[0].strip().split(":")[0]
        for part in text.split(",")
        if part.split("(")[0].strip()
    ]
