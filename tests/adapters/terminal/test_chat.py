"""`survey-bot chat` in a pseudo-terminal: it completes the shipped survey, and Ctrl-C ends it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _read_screen(fd: int, quiet: float = 0.4, limit: float = 30) -> str:
    """Everything printed until the program has been quiet for `quiet` seconds."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            if chunks:
                break
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def test_chat_completes_the_shipped_survey_in_a_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {**os.environ, "SURVEYBOT_DATABASE": str(tmp_path / "unused.db")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--lang", "en"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    transcript: list[str] = []
    try:
        screen = _read_screen(master)
        transcript.append(screen)
        assert "Start the survey" in screen, screen
        toggled = False
        for _ in range(80):
            if "Thank you" in screen:
                break
            if "[/done]" in screen:
                line = "/done" if toggled else "1"
                toggled = not toggled
            elif "[1]" in screen:
                line = "1"
            else:
                line = "More lights in the park, please."
            os.write(master, (line + "\n").encode())
            screen = _read_screen(master)
            transcript.append(screen)
        assert "Thank you" in screen, "".join(transcript)[-2000:]
        assert "Question 1 of" in "".join(transcript)
        os.write(master, b"/quit\n")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert not (tmp_path / "unused.db").exists(), "chat used a throwaway database"


def _controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is stdin (the pty), so the pty's
    Ctrl-C character sends SIGINT to the chat as a real terminal does."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_ctrl_c_ends_the_chat_at_once_with_one_line(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {**os.environ, "SURVEYBOT_DATABASE": str(tmp_path / "unused.db")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--lang", "en"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
        close_fds=True,
        preexec_fn=_controlling_terminal,
    )
    os.close(slave)
    try:
        screen = _read_screen(master)
        assert "Start the survey" in screen, screen
        os.write(master, termios.tcgetattr(master)[6][termios.VINTR])  # Ctrl-C, no Enter
        code = process.wait(timeout=20)  # before the fix: blocked until Enter, times out
        after = _read_screen(master)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert code == 130
    assert "Traceback" not in after, after
    lines = [line for line in after.replace("^C", "").splitlines() if line.strip()]
    assert lines == ["survey-bot: chat ended (Ctrl-C)"], after
