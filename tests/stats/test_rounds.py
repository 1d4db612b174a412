"""`bot.stats.rounds`: earlier rounds imported from old reports, mapped to the current ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stats.rounds import DataFileError, load_rounds, parse_round, save_round
from bot.survey.loader import load_survey

ROOT = Path(__file__).resolve().parents[2]
SURVEY = load_survey(ROOT / "surveys" / "questions.yaml")

# 2022's report: the evening question had another id, and "ganska otrygg" was one choice that
# is now `fairly_unsafe`; "går ej ut" is now `stay_in_unsafe`. Shares with a decimal comma.
RESULTS_2022 = """question;choice;count;share;n
trygg_kvall;mycket_trygg;;30,0;1695
trygg_kvall;fairly_safe;;35,5;1695
trygg_kvall;ganska_otrygg;;20,0;1695
trygg_kvall;very_unsafe;;9,5;1695
trygg_kvall;gar_ej_ut;;5,0;1695
safe_home;very_safe;1100;;1690
safe_home;fairly_safe;500;;1690
"""
MAPPING_2022 = """old_question;old_choice;question;choice
trygg_kvall;;safe_evening_area;
trygg_kvall;mycket_trygg;safe_evening_area;very_safe
trygg_kvall;ganska_otrygg;safe_evening_area;fairly_unsafe
trygg_kvall;gar_ej_ut;safe_evening_area;stay_in_unsafe
"""


def test_a_renamed_question_and_renamed_choices_map_onto_the_current_ids() -> None:
    round_ = parse_round("2022", SURVEY, RESULTS_2022, MAPPING_2022)
    evening = round_.questions["safe_evening_area"]
    assert evening.n == 1695 and evening.from_shares
    assert evening.counts == {
        "very_safe": 508,  # 30.0% of 1695 = 508.5, rounded half to even
        "fairly_safe": 602,  # 35.5% = 601.7
        "fairly_unsafe": 339,
        "very_unsafe": 161,  # 9.5% = 161.0
        "stay_in_unsafe": 85,  # 5.0% = 84.75
    }
    assert round_.questions["safe_home"].counts == {"very_safe": 1100, "fairly_safe": 500}
    assert round_.respondents == 1695


def test_several_old_choices_onto_one_new_choice_add_up() -> None:
    results = "question;choice;count;share;n\nsafe_home;ganska;10;;50\nsafe_home;lite;5;;50\n"
    mapping = (
        "old_question;old_choice;question;choice\n"
        "safe_home;ganska;safe_home;fairly_safe\nsafe_home;lite;safe_home;fairly_safe\n"
    )
    round_ = parse_round("2016", SURVEY, results, mapping)
    assert round_.questions["safe_home"].counts == {"fairly_safe": 15}


def test_every_problem_is_reported_with_its_file_line_and_fix() -> None:
    results = (
        "question;choice;count;share;n\n"
        "safe_evning_area;very_safe;10;;100\n"  # 2: misspelt question
        "safe_home;very_saf;10;;100\n"  # 3: misspelt choice
        "safe_home;very_safe;120;;100\n"  # 4: count over n
        "safe_home;fairly_safe;10;;99\n"  # 5: another n for the same question
        "safe_home;dont_know;;;100\n"  # 6: neither count nor share
        "safe_home;fairly_unsafe;x;;100\n"  # 7: not a number
    )
    with pytest.raises(DataFileError) as caught:
        parse_round("2021", SURVEY, results, results_file="r.csv")
    problems = caught.value.problems
    assert [p.line for p in problems] == [2, 3, 4, 5, 6, 7]
    assert "did you mean 'safe_evening_area'" in problems[0].fix
    assert "did you mean 'very_safe'" in problems[1].fix
    assert "more than n" in problems[2].message
    assert "differs from n 100 on line 4" in problems[3].message
    assert "either a count or a share" in problems[4].message
    assert "'x' is not a number" in problems[5].message
    assert all(str(p).startswith(f"r.csv:{p.line}:") for p in problems)


def test_a_wrong_header_says_what_the_first_line_must_be() -> None:
    with pytest.raises(DataFileError, match="first line must be: question;choice;count;share;n"):
        parse_round("2021", SURVEY, "fråga;svar;antal\n")


def test_saved_rounds_are_found_again_in_normal_form(tmp_path: Path) -> None:
    round_ = parse_round("2022", SURVEY, RESULTS_2022, MAPPING_2022)
    save_round(tmp_path, round_)
    save_round(
        tmp_path,
        parse_round("2021", SURVEY, "question;choice;count;share;n\nsafe_home;very_safe;7;;9\n"),
    )
    loaded = load_rounds(tmp_path, SURVEY)
    assert [r.label for r in loaded] == ["2021", "2022"]
    assert (
        loaded[1].questions["safe_evening_area"].counts
        == round_.questions["safe_evening_area"].counts
    )
