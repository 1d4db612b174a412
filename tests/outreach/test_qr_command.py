"""`survey-bot qr` as an operator types it: the files, and one line (exit 2) for each mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.outreach.conftest import BOT, ROOT, SHIPPED, decode_png, pdf_text


def _qr(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "qr", *args],
        cwd=ROOT,
        env={**clean, "SURVEYBOT_SURVEY": str(SHIPPED), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_qr_writes_the_code_and_the_poster_for_a_declared_source(tmp_path: Path) -> None:
    result = _qr("--source", "poster_andersberg", "--out", str(tmp_path / "posters"),
                 env={"SURVEYBOT_BOT_USERNAME": "@" + BOT})  # fmt: skip
    assert result.returncode == 0, result.stderr
    link = f"https://t.me/{BOT}?start=poster_andersberg"
    assert result.stdout.splitlines()[0] == link
    folder = tmp_path / "posters"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "poster-poster_andersberg.pdf",
        "qr-poster_andersberg.png",
        "qr-poster_andersberg.svg",
    ]
    assert decode_png(folder / "qr-poster_andersberg.png") == [link]
    text = pdf_text(folder / "poster-poster_andersberg.pdf")
    assert link in text
    assert "Trygghetsenkät Halmstad" in text and "Halmstad safety survey" in text
    assert "draft" in result.stderr  # the Swedish call to action is not reviewed yet


def test_bot_option_wins_and_lang_chooses_the_languages(tmp_path: Path) -> None:
    result = _qr("--source", "paper", "--bot", BOT, "--lang", "en", "--out", str(tmp_path),
                 env={"SURVEYBOT_BOT_USERNAME": "OtherBot"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = pdf_text(tmp_path / "poster-paper.pdf")
    assert f"https://t.me/{BOT}?start=paper" in text
    assert "Halmstad safety survey" in text and "Trygghetsenkät" not in text


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--source", "poster_hylte", "--bot", BOT], {}, "'poster_hylte' is not a declared source"),
        (["--source", "paper"], {}, "SURVEYBOT_BOT_USERNAME"),
        (["--source", "paper", "--bot", "Halmstad"], {}, "is not a bot username"),
        (["--source", "paper", "--bot", BOT, "--lang", "sv,xx"], {}, "no language 'xx'"),
        (["--source", "paper", "--bot", BOT], {"SURVEYBOT_SURVEY": "nowhere.yaml"}, "not found"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    result = _qr(*args, "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = _qr("--source", "paper", "--bot", BOT, "--out", str(blocker / "posters"))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "cannot write into" in result.stderr and "Traceback" not in result.stderr
