"""`harness score` end to end on the example set, every bad input's error, and the independence gate."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.paths import CONFIG_DIR, REPO_ROOT
from harness.points.cli import main

EXAMPLES = CONFIG_DIR / "scoring" / "examples"


@pytest.fixture
def example(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    return tmp_path / "ex"


def run(teams: Path, out: Path, *extra):
    # phase1-example: the phase-1 rules, accepting the key that signed the example pack's verdict
    return main([str(teams), f"scoring.out={out}", "scoring=phase1-example", *extra])


def table(out: Path) -> dict[str, dict]:
    return {row["team"]: row for row in json.loads((out / "scores.json").read_text())["table"]}


def test_example_reproduces_the_published_phase1_figures(example, tmp_path):
    out = tmp_path / "out"
    assert run(example / "phase1-teams.yaml", out) == 0
    doc = json.loads((out / "scores.json").read_text())
    t = table(out)
    top = t["Team A"]
    assert top["rank"] == 1
    assert (top["nia"], top["global_common"], top["individual"], top["benchmarks"]) == (9.2, 14.4, 10.0, 33.6)
    assert top["expert"] == 31.6 and top["user"] == 25.0
    avg = doc["averages"]
    assert avg["benchmarks"] == pytest.approx(30.4, abs=0.005)
    assert avg["expert"] == pytest.approx(28.56) and avg["user"] == pytest.approx(20.76)
    b_steps = next(r for r in doc["teams"] if r["team"] == "Team B")["sections"]["individual"]["steps"]
    assert any(s["B"] == 72 and s["A"] == 80 and s["capped"] == pytest.approx(0.9) for s in b_steps)
    users = next(r for r in doc["teams"] if r["team"] == "Team A")["sections"]["user"]
    assert users["n_users"] == 49
    assert next(r for r in doc["teams"] if r["team"] == "Team A")["sections"]["expert"]["n_evaluators"] == 10
    # unrounded values stay in the JSON; every input number is in steps.csv with its source
    assert doc["teams"][0]["sections"]["global_common"]["points"] == pytest.approx(14.406)
    steps = list(csv.DictReader(open(out / "steps.csv")))
    assert any(s["team"] == "Team A" and s["section"] == "nia" and "pack nia-team-a (verified PASS, signed" in s["source"] for s in steps)
    assert doc["status"] == "FINAL" and all(s["status"] == "FINAL" for s in steps)


def test_a_derived_component_makes_a_team_ineligible_but_shown(example, tmp_path):
    out = tmp_path / "out"
    run(example / "phase1-teams.yaml", out)
    f = next(r for r in json.loads((out / "scores.json").read_text())["teams"] if r["team"] == "Team F")
    assert f["eligible"] is False and f["rank"] is None
    assert "lineage/team-f.json" in f["ineligible_reasons"][0] and "vision_encoder" in f["ineligible_reasons"][0]
    assert table(out)["Team F"]["total"] is not None  # shown


def test_a_hand_marked_team_is_ineligible(example, tmp_path):
    doc = yaml.safe_load((example / "phase1-teams.yaml").read_text())
    doc["teams"][1].update(independent=False, independence_note="fine-tuned from a foreign model")
    (example / "phase1-teams.yaml").write_text(yaml.safe_dump(doc))
    run(example / "phase1-teams.yaml", tmp_path / "out")
    assert table(tmp_path / "out")["Team B"]["rank"] is None
    assert table(tmp_path / "out")["Team C"]["rank"] == 2


def _sheet_edit(path: Path, row: int, column: str, value: str) -> None:
    rows = list(csv.DictReader(open(path)))
    rows[row - 2][column] = value
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _bad(example, tmp_path, match: str, file_end: str):
    out = tmp_path / "out"
    with pytest.raises(HarnessError, match=match) as err:
        run(example / "phase1-teams.yaml", out)
    assert str(err.value.file).endswith(file_end)
    assert not out.exists()  # nothing written
    return err.value


def test_rating_outside_1_to_5(example, tmp_path):
    _sheet_edit(example / "users.csv", 7, "rating", "6")
    e = _bad(example, tmp_path, "rating 6 is outside 1–5", "users.csv")
    assert e.field == "row 7, rating"


def test_fewer_than_three_experts(example, tmp_path):
    rows = [r for r in csv.DictReader(open(example / "experts.csv")) if not (r["team"] == "Team C" and r["evaluator"] not in ("E01", "E02"))]
    with open(example / "experts.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    e = _bad(example, tmp_path, "Team C: 2 evaluator", "experts.csv")
    assert e.field == "Team C"


@pytest.mark.parametrize("value, match", [(None, "empty"), (0, r"outside \(0, 100\]"), (-5, r"outside \(0, 100\]"),
                                          (100.5, r"outside \(0, 100\]"), (float("nan"), "finite"), ("80%", "percent"), ("high", "not a number")])
def test_missing_or_non_positive_target_score(example, tmp_path, value, match):
    doc = yaml.safe_load((example / "phase1-teams.yaml").read_text())
    doc["teams"][2]["individual"]["targets"]["bfcl_v4"] = value
    (example / "phase1-teams.yaml").write_text(yaml.safe_dump(doc))
    e = _bad(example, tmp_path, f"target score A.*{match}", "phase1-teams.yaml")
    assert e.field == "teams.2.individual.targets.bfcl_v4"


def test_team_in_a_sheet_but_not_in_teams_yaml(example, tmp_path):
    _sheet_edit(example / "experts.csv", 5, "team", "Team Z")
    e = _bad(example, tmp_path, "team 'Team Z' is not in the teams file", "experts.csv")
    assert e.field == "row 5, team"


def test_benchmark_missing_from_a_suite(example, tmp_path):
    path = example / "scores" / "c-common.yaml"
    doc = yaml.safe_load(path.read_text())
    del doc["scores"]["kobalt"]
    path.write_text(yaml.safe_dump(doc))
    e = _bad(example, tmp_path, r"global common benchmark\(s\) \['kobalt'\] have no score", "phase1-teams.yaml")
    assert e.field == "teams.2"


def test_unverified_packs_count_only_with_the_switch_and_say_so(example, tmp_path):
    assert main([str(example / "phase1-teams.yaml"), f"scoring.out={tmp_path / 'o'}", "scoring.require_verified=false"]) == 0
    steps = list(csv.DictReader(open(tmp_path / "o" / "steps.csv")))
    assert any(s["section"] == "nia" and "unverified" in s["source"] for s in steps)


def test_per_criterion_trimming_switch(example, tmp_path):
    assert run(example / "phase1-teams.yaml", tmp_path / "a") == 0
    assert run(example / "phase1-teams.yaml", tmp_path / "b", "scoring.expert.trim=per_criterion") == 0
    a = json.loads((tmp_path / "a" / "scores.json").read_text())["teams"][0]["sections"]["expert"]
    b = json.loads((tmp_path / "b" / "scores.json").read_text())["teams"][0]["sections"]["expert"]
    assert "dropped_highest" in a and "per_criterion_trimmed_means" in b
    assert set(b["per_criterion_trimmed_means"]) == {"strategy", "results", "ripple"}


def test_cli_exit_codes_and_table(example, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "harness.cli", "score", str(example / "phase1-teams.yaml"), f"scoring.out={tmp_path / 'o'}", "scoring=phase1-example"],
                        capture_output=True, text=True, cwd=REPO_ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "Team A" in ok.stdout and "33.6" in ok.stdout and "90.2" in ok.stdout
    _sheet_edit(example / "users.csv", 3, "rating", "0")
    bad = subprocess.run([sys.executable, "-m", "harness.cli", "score", str(example / "phase1-teams.yaml"), f"scoring.out={tmp_path / 'p'}", "scoring=phase1-example"],
                         capture_output=True, text=True, cwd=REPO_ROOT)
    assert bad.returncode == 2 and "users.csv" in bad.stderr and "row 3" in bad.stderr


def test_scoring_imports_no_model_stack():
    code = "import sys, harness.points.cli; bad = [m for m in ('vllm', 'lm_eval', 'torch', 'transformers') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 0, res.stdout + res.stderr


def test_outputs_go_next_to_the_input_not_the_current_directory(example, tmp_path):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    res = subprocess.run([sys.executable, "-m", "harness.cli", "score", str(example / "phase1-teams.yaml"), "scoring=phase1-example"],
                         capture_output=True, text=True, cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert (example / "phase1-teams-scores" / "scores.json").is_file()
    assert not any(elsewhere.iterdir())  # nothing written where the command was started
    assert main([str(example / "phase1-teams.yaml"), "scoring=phase1-example"]) == 0  # a second time: its own directory, rewritten


def test_a_directory_of_someone_elses_files_is_never_written_into(example, tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "scores.csv").write_text("their own table\n")
    with pytest.raises(HarnessError, match="did not write") as err:
        run(example / "phase1-teams.yaml", theirs)
    assert err.value.field == "scoring.out"
    assert (theirs / "scores.csv").read_text() == "their own table\n" and sorted(p.name for p in theirs.iterdir()) == ["scores.csv"]


def test_user_points_scale_to_the_top_eligible_team_unless_told_otherwise(example, tmp_path):
    """Team F (ineligible) rated highest: by default Team A, the top ranked team, still gets 25 and Team F is
    shown capped at 25; with user.top=all every team scales to Team F's sum."""
    rows = list(csv.DictReader(open(example / "users.csv")))
    for r in rows:
        if r["team"] == "Team F":
            r["rating"] = "5"  # 49 × 5 = 245 > Team A's 125
    with open(example / "users.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    run(example / "phase1-teams.yaml", tmp_path / "e")
    doc = json.loads((tmp_path / "e" / "scores.json").read_text())
    users = {t["team"]: t["sections"]["user"] for t in doc["teams"]}
    assert table(tmp_path / "e")["Team A"]["user"] == 25.0 and users["Team F"]["points"] == 25.0
    assert users["Team F"]["capped_from"] == pytest.approx(25 * 245 / 125) and users["Team A"]["top_over"] == "eligible"
    run(example / "phase1-teams.yaml", tmp_path / "a", "scoring.user.top=all")
    assert table(tmp_path / "a")["Team A"]["user"] == pytest.approx(round(25 * 125 / 245, 1))
    assert table(tmp_path / "a")["Team F"]["user"] == 25.0
