"""`survey-bot chat` driven through a pipe: wrong inputs, commands, --preview and --as."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.conversation.texts import t
from storage import open_store

ROOT = Path(__file__).resolve().parents[3]

SURVEY = """\
id: chat_test
title: {{sv: Test, en: Test}}
languages: [sv, en]
# Free texts are released in batches of min_group_size: 2 lets two test responses show them.
min_group_size: 2
{window}
intro: {{sv: Välkommen., en: Welcome.}}
privacy: {{sv: "Inga id sparas.", en: "PRIVACY-NOTICE: no ids are stored."}}
thanks: {{sv: Tack!, en: Thank you!}}
questions:
  - id: area
    kind: single
    text: {{sv: Var bor du?, en: Where do you live?}}
    choices:
      - {{id: north, label: {{sv: Norr, en: North}}}}
      - {{id: south, label: {{sv: Söder, en: South}}}}
  - id: comment
    kind: text
    text: {{sv: Något mer?, en: Anything else?}}
"""


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "survey.yaml"
    path.write_text(SURVEY.format(window=""), encoding="utf-8")
    return path


def chat(tmp_path: Path, survey: Path, typed: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`survey-bot chat --lang en` with `typed` as its input, in an empty folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYBOT_")}
    folder = tmp_path / "cwd"
    folder.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--lang", "en", "--survey", str(survey), *args],
        input=typed,
        cwd=folder,
        env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def responses(database: Path) -> tuple[int, list[tuple[str, str]]]:
    async def read() -> tuple[int, list[tuple[str, str]]]:
        store = await open_store(str(database))
        try:
            texts = sorted(await store.free_texts("chat_test"))
            return await store.count_responses("chat_test"), texts
        finally:
            await store.close()

    return asyncio.run(read())


@pytest.mark.parametrize("wrong", ["abc", "7", "/back", "/nosuch"])
def test_one_wrong_input_on_the_welcome_screen_leaves_its_buttons_working(
    tmp_path: Path, survey: Path, wrong: str
) -> None:
    result = chat(tmp_path, survey, f"{wrong}\n1\n1\nLights\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Question 1 of 2" in out, out
    assert "Question 2 of 2" in out, out
    assert "Thank you!" in out, out
    # exactly one notice for the one wrong input, then the buttons work
    notices = out.count("Please answer with the buttons") + out.count("I don't know that command")
    assert notices == 1, out


def test_a_command_at_the_text_question_is_never_the_answer(tmp_path: Path, survey: Path) -> None:
    database = tmp_path / "chat.db"
    typed = "1\n1\n/privacy\n/nosuch\n/privacy please\nMore lights\n"
    result = chat(tmp_path, survey, typed, "--database", str(database))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # the intro shows the notice once; /help lists /privacy, so chat shows it again
    assert out.count("PRIVACY-NOTICE: no ids are stored.") == 2, out
    assert out.count("I don't know that command") == 2, out
    assert "Thank you!" in out
    # a second test response releases the batch of free texts (at least min_group_size)
    chat(tmp_path, survey, "1\n1\nSecond\n", "--database", str(database), "--as", "2")
    assert responses(database) == (2, [("comment", "More lights"), ("comment", "Second")])


def test_help_lists_only_commands_the_chat_supports(tmp_path: Path, survey: Path) -> None:
    result = chat(tmp_path, survey, "/help\n")
    listed = [word for word in result.stdout.split() if word.startswith("/")]
    assert "/privacy" in listed, result.stdout
    again = chat(tmp_path, survey, "".join(f"{command}\n" for command in listed))
    for language in ("sv", "en"):
        for refusal in ("unknown_command", "problem.use_buttons", "problem.command"):
            assert t(refusal, language) not in again.stdout, again.stdout
    assert "\nPRIVACY-NOTICE" in again.stdout, again.stdout  # /privacy (the intro has "🔒 ")


def test_preview_ignores_opens_and_closes_and_writes_nothing(tmp_path: Path) -> None:
    survey = tmp_path / "next_year.yaml"
    survey.write_text(SURVEY.format(window="opens: 2099-01-01"), encoding="utf-8")
    closed = chat(tmp_path, survey, "1\n")
    assert "has not opened yet" in closed.stdout, closed.stdout
    preview = chat(tmp_path, survey, "1\n1\nLights\n", "--preview")
    assert preview.returncode == 0, preview.stderr
    assert "Thank you!" in preview.stdout, preview.stdout
    assert list((tmp_path / "cwd").iterdir()) == []
    refused = chat(tmp_path, survey, "", "--preview", "--database", str(tmp_path / "x.db"))
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "--database" in refused.stderr
    assert not (tmp_path / "x.db").exists()


def test_as_adds_another_test_response_to_the_same_database(tmp_path: Path, survey: Path) -> None:
    database = tmp_path / "chat.db"
    answer = "1\n1\nFirst\n"
    first = chat(tmp_path, survey, answer, "--database", str(database))
    assert "Thank you!" in first.stdout, first.stdout
    again = chat(tmp_path, survey, answer, "--database", str(database))
    assert "You have already answered" in again.stdout
    assert "--as 2" in again.stdout, again.stdout
    second = chat(tmp_path, survey, "1\n2\nSecond\n", "--database", str(database), "--as", "2")
    assert "Thank you!" in second.stdout, second.stdout
    count, texts = responses(database)
    assert count == 2
    assert sorted(texts) == [("comment", "First"), ("comment", "Second")]
    bad = chat(tmp_path, survey, "", "--as", "0")
    assert bad.returncode == 2 and "--as" in bad.stderr
