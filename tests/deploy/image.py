"""The Dockerfile's image, laid out without a container engine, for the deployment tests.

Owns: following the Dockerfile's own instructions (read by `tests.deploy.dockerfile`) as far
as this machine can: the build stage's COPY lines copy exactly their paths from the build
context (the repository less `.dockerignore`) into the stage's WORKDIR, its `pip install .`
becomes `pip wheel` there plus an install of that wheel into a fresh venv at the place the
final stage copies it to; the final stage's COPY lines, its `mkdir`/`chown`/`chmod` RUN
commands and its ENV are applied under a scratch directory standing for the image's `/` (its
`apt-get install` is checked by test_system_packages.py instead); commands run as the image's
USER (its uid, via `setpriv`) when the tests run as root; `ImageBot` runs its ENTRYPOINT and
CMD with `tests.faults.bot_process`'s lifecycle.

What must hold:
- nothing of the build is copied into a test: each step comes from the Dockerfile, and an
  instruction of a form not understood here fails the test instead of being skipped;
- the bot that runs is the wheel's, never the worktree's: the venv has no access to the
  editable install, commands run from the image's WORKDIR with only its ENV (no PYTHONPATH);
- what cannot be done here is named: the image's `pip install .` resolves the dependencies
  from PyPI, here the venv sees the tests' installed ones (a `.pth` after its own
  site-packages); the base image's Python is the tests' Python version from this machine.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement

from tests.deploy.dockerfile import ROOT, Stage, build_and_final
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bot_process import BotProcess

#: `.pth` in the image's venv that adds the tests' dependencies (see the module docstring).
DEPENDENCIES_PTH = "_test_dependencies.pth"
#: The final stage's clean-up after `apt-get install`.
APT_LISTS = "rm -rf /var/lib/apt/lists/*"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def dockerignore_patterns(context: Path = ROOT) -> list[str]:
    lines = (context / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "'!' exceptions are not read here"
    return [p.strip("/") for p in patterns]


def ignored(relative: PurePosixPath, patterns: list[str]) -> bool:
    """Whether Docker leaves `relative` (or a folder above it) out of the build context."""
    prefixes = [PurePosixPath(*relative.parts[: n + 1]) for n in range(len(relative.parts))]
    for pattern in patterns:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, str(prefix)) for prefix in prefixes):
            return True
    return False


def copy_from_context(source: str, destination: Path, several: bool, patterns: list[str]) -> None:
    """Docker's COPY of one source path of the build context to `destination`."""
    origin = ROOT / source
    assert origin.exists(), f"COPY {source}: not in the build context"
    if origin.is_file():
        target = destination / origin.name if several or destination.is_dir() else destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
        return
    for path in sorted(origin.rglob("*")):
        relative = PurePosixPath(path.relative_to(ROOT).as_posix())
        if path.is_file() and not ignored(relative, patterns):
            target = destination / path.relative_to(origin)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def reachable(path: Path) -> bool:
    """Whether any user can read `path` (every folder above it searchable by others)."""
    path = path.resolve()
    folders_ok = all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)
    return path.exists() and folders_ok and bool(path.stat().st_mode & stat.S_IROTH)


def python_for_others() -> str | None:
    """A Python of the tests' version whose program and standard library any user can read."""
    candidates = [Path(sys._base_executable).resolve()]  # type: ignore[attr-defined]
    candidates += [Path(p, f"python{VERSION}") for p in ("/usr/local/bin", "/usr/bin")]
    for program in candidates:
        stdlib = program.parent.parent / "lib" / f"python{VERSION}"
        if program.exists() and reachable(program) and reachable(stdlib / "os.py"):
            return str(program)
    return None


@dataclass
class Image:
    """The image's filesystem under `root`, and how to run a command in it."""

    root: Path
    wheel: Path
    final: Stage
    user: str
    uid: int
    home: PurePosixPath
    #: As root: give the user CAP_DAC_READ_SEARCH (reading only) when the tests' Python or
    #: packages lie where other users cannot read them (e.g. under /root); writes stay denied.
    read_anywhere: bool

    def path(self, image_path: str | PurePosixPath) -> Path:
        """Where an absolute path of the image lies on this machine."""
        return self.root / PurePosixPath(image_path).relative_to("/")

    @property
    def venv(self) -> Path:
        (venv_copy,) = [c for c in self.final.copies() if c.from_stage]
        return self.path(venv_copy.destination)

    def mapped(self, mounts: tuple[PurePosixPath, ...] = ()) -> list[PurePosixPath]:
        """The image's own folders and `mounts` (the rest of a path is this machine's)."""
        folders = [c.destination for c in self.final.copies() if c.from_stage]
        own = [*folders, self.final.workdir, *self.final.volumes(), PurePosixPath("/tmp")]
        return [*own, *mounts]

    def rewrite(self, value: str, mounts: tuple[PurePosixPath, ...] = ()) -> str:
        """`value` with every path into one of the image's own folders (or `mounts`) pointing
        under `root` (in one pass: a path already rewritten is not rewritten again)."""
        folders = {str(folder): str(self.path(folder)) for folder in self.mapped(mounts)}
        alternatives = "|".join(re.escape(f) for f in sorted(folders, key=len, reverse=True))
        pattern = rf"(?<![\w./-])({alternatives})(?=[/:]|$)"
        return re.sub(pattern, lambda match: folders[match[1]], value)

    def env(
        self, extra: dict[str, str] | None = None, mounts: tuple[PurePosixPath, ...] = ()
    ) -> dict[str, str]:
        """A container's environment: the image's ENV and HOME of its USER, nothing of ours
        (except OPENBLAS_* tuning, which this machine needs for numpy), then `extra` (`docker
        run -e`); paths into the image's folders and `mounts` point under `root`."""
        env = dict(self.final.env())
        env["HOME"] = str(self.home)
        env.update(extra or {})
        env = {name: self.rewrite(value, mounts) for name, value in env.items()}
        env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")})
        return env

    def as_user(self, argv: list[str]) -> list[str]:
        """`argv` run as the image's USER (uid and gid `uid`, no other groups) when we are root."""
        if os.geteuid() != 0:
            return argv
        prefix = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]
        if self.read_anywhere:
            prefix += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        return [*prefix, *argv]

    def run(
        self, argv: list[str], extra_env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` like `docker run IMAGE argv` would (WORKDIR, ENV, USER), to its end."""
        return subprocess.run(
            self.as_user(argv),
            cwd=self.path(self.final.workdir),
            env=self.env(extra_env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


class ImageBot(BotProcess):
    """The image's ENTRYPOINT and CMD as its USER, with its ENV plus `run_env` (`docker run
    -e`); the lifecycle (ready at the first long poll, exit, kill) is `BotProcess`'s."""

    def __init__(
        self,
        server: FakeBotApi,
        image: Image,
        run_env: dict[str, str],
        mounts: tuple[PurePosixPath, ...] = (),
    ) -> None:
        workdir = image.path(image.final.workdir)
        super().__init__(server, workdir, Path(image.env()["SURVEYBOT_SURVEY"]))
        self.image = image
        self.run_env = run_env
        self.mounts = mounts
        self.log_path = image.root.parent / "bot.log"  # the test's, outside the image

    def env(self) -> dict[str, str]:
        return self.image.env(self.run_env, self.mounts)

    def command(self) -> list[str]:
        final = self.image.final
        return self.image.as_user([*final.exec_form("ENTRYPOINT"), *final.exec_form("CMD")])


def build_image(root: Path) -> Image:
    """Lay out the image under `root` (an empty folder any user can enter) the Dockerfile's way."""
    build, final = build_and_final()
    patterns = dockerignore_patterns()
    stage_root = root / "build-stage"
    source = stage_root / build.workdir.relative_to("/")
    source.mkdir(parents=True)
    for copy in build.copies():
        assert copy.from_stage is None, "the build stage copies only from the context"
        destination = stage_root / copy.destination.relative_to("/")
        for path in copy.sources:
            copy_from_context(path, destination, len(copy.sources) > 1, patterns)

    (venv_copy,) = [c for c in final.copies() if c.from_stage]
    (install,) = build.all("RUN")
    expected = f"python -m venv {venv_copy.sources[0]} && {venv_copy.sources[0]}/bin/pip install ."
    assert install.args == expected, f"the build stage's RUN changed: {install.args}"

    _check_build_requirements()
    dist = root / "dist"
    pip = [sys.executable, "-m", "pip"]
    quiet = ["-q", "--no-deps", "--no-index"]  # nothing is fetched
    _check([*pip, "wheel", *quiet, "--no-build-isolation", "-w", str(dist), "."], cwd=source)
    (wheel,) = dist.glob("*.whl")

    final_root = root / "image"
    final_root.mkdir()
    user, uid, home = final.user_account()
    python = python_for_others()
    deps = Path(sysconfig.get_paths()["purelib"])
    image = Image(final_root, wheel, final, user, uid, home, read_anywhere=False)
    image.read_anywhere = python is None or not reachable(deps)
    venv = image.path(venv_copy.destination)
    _check([python or sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    venv_python = str(venv / "bin" / "python")
    _check([*pip, "--python", venv_python, "install", *quiet, str(wheel)], cwd=root)
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_check([venv_python, "-c", purelib], cwd=root).strip())
    (site / DEPENDENCIES_PTH).write_text(f"{deps}\n", encoding="utf-8")

    image.path(final.workdir).mkdir(parents=True, exist_ok=True)  # WORKDIR makes it
    _apply_final_stage(image, patterns)
    return image


def _apply_final_stage(image: Image, patterns: list[str]) -> None:
    """The final stage's RUN (mkdir, chown, chmod; useradd is `Image.as_user`, apt-get is
    checked by test_system_packages.py), /tmp, COPY."""
    tmp = image.path("/tmp")
    tmp.mkdir()
    tmp.chmod(0o1777)
    for instruction in image.final.all("RUN"):
        for command in re.split(r"&&", instruction.args):
            words = shlex.split(command)
            if words[0] == "useradd" or words[0] == "apt-get" or command.strip() == APT_LISTS:
                continue  # the user is `Image.as_user`; packages: test_system_packages.py
            if words[:2] == ["mkdir", "-p"]:
                for folder in words[2:]:
                    image.path(folder).mkdir(mode=0o755, parents=True, exist_ok=True)
            elif words[0] == "chown":
                owner = words[1].split(":")
                assert owner[0] == image.user and owner[-1] == image.user, f"chown {words[1]}"
                for folder in words[2:]:
                    if os.geteuid() == 0:  # otherwise everything is ours already
                        os.chown(image.path(folder), image.uid, image.uid)
            elif words[0] == "chmod":
                for folder in words[2:]:
                    image.path(folder).chmod(int(words[1], 8))
            else:
                raise AssertionError(f"Dockerfile line {instruction.line}: {words[0]} not read")
    for copy in image.final.copies():
        if copy.from_stage is None:
            for path in copy.sources:
                destination = image.path(copy.destination)
                copy_from_context(path, destination, len(copy.sources) > 1, patterns)


def wheel_files(wheel: Path) -> set[str]:
    """The files a wheel installs into site-packages (its own metadata left out)."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    return {n for n in names if not n.split("/", 1)[0].endswith(".dist-info")}


def _check_build_requirements() -> None:
    """Without build isolation the wheel is built with the tests' packages: they must be what
    pyproject.toml's [build-system] asks for (the image's isolated build fetches those)."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        requires = tomllib.load(stream)["build-system"]["requires"]
    for text in requires:
        requirement = Requirement(text)
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed), f"{requirement}: {installed} here"


def _check(argv: list[str], cwd: Path) -> str:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{shlex.join(argv)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout
