"""The repository's Dockerfile, read as Docker reads it, for the deployment tests.

Owns: splitting the file into instructions (comments dropped, `\\` continuations joined) and
stages (`FROM ... AS name`), and the few meanings the tests need: each stage's WORKDIR, its
COPY sources and destinations (relative destinations resolved against the WORKDIR in force,
as Docker does), its ENV (`$VAR` and `${VAR}` expanded from earlier values and the base
image's, one instruction at a time, as Docker does), and the exec-form (JSON) commands of
ENTRYPOINT, CMD and HEALTHCHECK.

What must hold: everything is read from the Dockerfile itself, never copied into a test; an
instruction the tests rely on that is missing or in a form this reader does not know fails with
an AssertionError naming it, rather than being guessed.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
#: The ENV the base image `python:3.11-slim` sets and the Dockerfile builds on (`$PATH`).
BASE_IMAGE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), its arguments, and its first line number."""

    keyword: str
    args: str
    line: int


@dataclass(frozen=True)
class Copy:
    """One COPY: the sources (relative to the build context, or to `from_stage`'s root) and
    the absolute destination in the image."""

    sources: tuple[str, ...]
    destination: PurePosixPath
    from_stage: str | None


@dataclass
class Stage:
    """One build stage: its base image, its name, and its instructions in order."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert len(found) == 1, f"expected one {keyword} in stage {self.name or self.base}"
        return found[0]

    @property
    def workdir(self) -> PurePosixPath:
        """The last WORKDIR of the stage (the directory the container starts in)."""
        return PurePosixPath(self.all("WORKDIR")[-1].args.strip())

    def copies(self) -> list[Copy]:
        """Every COPY, with destinations made absolute against the WORKDIR in force."""
        result = []
        workdir = PurePosixPath("/")
        for instruction in self.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = workdir / instruction.args.strip()
            if instruction.keyword != "COPY":
                continue
            words = shlex.split(instruction.args)
            options = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            unknown = [o for o in options if not o.startswith("--from=")]
            assert not unknown, f"Dockerfile line {instruction.line}: COPY {unknown} not read"
            assert len(paths) >= 2, f"Dockerfile line {instruction.line}: COPY needs src and dest"
            from_stage = options[0].removeprefix("--from=") if options else None
            destination = workdir / paths[-1]  # an absolute destination replaces the workdir
            result.append(Copy(tuple(paths[:-1]), destination, from_stage))
        return result

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The stage's ENV on top of `base` (default: the base image's ENV)."""
        values = dict(BASE_IMAGE_ENV if base is None else base)
        for instruction in self.all("ENV"):
            before = dict(values)  # Docker expands with the values before this instruction
            for word in shlex.split(instruction.args):
                name, equals, value = word.partition("=")
                assert equals, f"Dockerfile line {instruction.line}: use ENV NAME=value"
                values[name] = _expand(value, before)
        return values

    def exec_form(self, keyword: str) -> list[str]:
        """The JSON (exec) form of ENTRYPOINT or CMD."""
        return _json_list(self.one(keyword))

    def healthcheck(self) -> list[str]:
        """The command of `HEALTHCHECK [options] CMD [...]`, in exec form."""
        instruction = self.one("HEALTHCHECK")
        _, cmd, command = instruction.args.partition(" CMD ")
        assert cmd, f"Dockerfile line {instruction.line}: HEALTHCHECK without CMD"
        return _json_list(Instruction("CMD", command, instruction.line))

    def volumes(self) -> list[PurePosixPath]:
        paths: list[PurePosixPath] = []
        for instruction in self.all("VOLUME"):
            args = instruction.args.strip()
            names = json.loads(args) if args.startswith("[") else args.split()
            paths.extend(PurePosixPath(n) for n in names)
        return paths

    def user_account(self) -> tuple[str, int, PurePosixPath]:
        """The account a RUN creates with `useradd` and USER selects: name, uid, home."""
        user = self.one("USER").args.strip()
        for instruction in self.all("RUN"):
            for command in re.split(r"&&|;", instruction.args):
                words = shlex.split(command)
                if words[:1] != ["useradd"] or words[-1] != user:
                    continue
                uid, home = _option(words, "--uid"), _option(words, "--home-dir")
                assert uid and home, f"Dockerfile line {instruction.line}: useradd without uid/home"
                return user, int(uid), PurePosixPath(home)
        raise AssertionError(f"no RUN useradd ... {user} for USER {user}")


def _expand(value: str, variables: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` in `value` replaced by their values (unset: empty)."""
    return _VARIABLE.sub(lambda m: variables.get(m[1] or m[2], ""), value)


def _option(words: list[str], name: str) -> str | None:
    """The value of a command's `--name value` or `--name=value` option."""
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(name + "="):
            return word.partition("=")[2]
    return None


def _json_list(instruction: Instruction) -> list[str]:
    try:
        value = json.loads(instruction.args)
    except json.JSONDecodeError:
        value = None
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), (
        f"Dockerfile line {instruction.line}: {instruction.keyword} is not in exec (JSON) form"
    )
    return value


def instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile's text (comment lines inside continuations dropped)."""
    result: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        keyword, _, args = " ".join(pending).partition(" ")
        result.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    """The build stages of the Dockerfile, in order."""
    result: list[Stage] = []
    for instruction in instructions(path.read_text(encoding="utf-8")):
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            result.append(Stage(words[0], name))
        else:
            assert result, f"Dockerfile line {instruction.line}: an instruction before FROM"
            result[-1].instructions.append(instruction)
    return result


def build_and_final(path: Path = DOCKERFILE) -> tuple[Stage, Stage]:
    """The stage the final stage copies its venv from, and the final stage."""
    all_stages = stages(path)
    final = all_stages[-1]
    sources = {c.from_stage for c in final.copies() if c.from_stage}
    assert len(sources) == 1, f"the final stage copies from {sources}, expected one build stage"
    (source,) = sources
    build = next((s for s in all_stages if s.name == source), None)
    assert build is not None, f"no stage named {source}"
    return build, final
