"""compose.yaml, read with a safe YAML loader (no tags, no code), for the deployment tests.

Owns: loading the file and reading a service's `environment` in either of compose's forms (a
mapping, or a list of `NAME=value`). Values are returned as written: `${...}` references to the
operator's `.env` are not interpolated.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

from tests.deploy.dockerfile import ROOT

COMPOSE = ROOT / "compose.yaml"


def load_compose() -> dict[str, Any]:
    loaded = YAML(typ="safe", pure=True).load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "compose.yaml is a mapping"
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's `environment` as strings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(name): str(value) for name, value in env.items()}
